{{ arr_daily_rollup('master_account_sfid') }}
