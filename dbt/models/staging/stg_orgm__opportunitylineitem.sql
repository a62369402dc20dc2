{{ orgm_live_rows('opportunitylineitem') }}
