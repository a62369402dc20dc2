{{ arr_daily_deltas('master_account_daily_arr', 'master_account_sfid') }}
