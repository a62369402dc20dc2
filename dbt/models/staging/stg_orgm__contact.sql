{{ orgm_live_rows('contact') }}
