-- A master account's ARR on each day equals the sum of its accounts' ARR that day.
with accounts as (
    select master_account_sfid, day, sum(total_arr) as total_arr
    from {{ ref('account_daily_arr') }}
    group by master_account_sfid, day
)

select masters.master_account_sfid, masters.day, masters.total_arr, accounts.total_arr as accounts_arr
from {{ ref('master_account_daily_arr') }} as masters
left join accounts
    on accounts.master_account_sfid = masters.master_account_sfid
    and accounts.day = masters.day
where masters.total_arr <> coalesce(accounts.total_arr, 0)
