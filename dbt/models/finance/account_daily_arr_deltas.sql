{{ arr_daily_deltas('account_daily_arr', 'account_sfid', carry=['master_account_sfid']) }}
