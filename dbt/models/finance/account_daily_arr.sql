{{ arr_daily_rollup('account_sfid', carry=['master_account_sfid']) }}
