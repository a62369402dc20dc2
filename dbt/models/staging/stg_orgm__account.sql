{{ orgm_live_rows('account') }}
