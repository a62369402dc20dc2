{{ arr_monthly_deltas('account_daily_arr_deltas', 'account_sfid', carry=['master_account_sfid']) }}
