{{ arr_monthly_deltas('master_account_daily_arr_deltas', 'master_account_sfid') }}
