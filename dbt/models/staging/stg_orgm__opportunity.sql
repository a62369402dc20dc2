{{ orgm_live_rows('opportunity') }}
