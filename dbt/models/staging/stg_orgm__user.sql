{{ orgm_live_rows('user') }}
