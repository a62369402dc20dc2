{{ orgm_live_rows('task') }}
