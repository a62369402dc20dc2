-- Account ARR on each day equals the sum of its line items' ARR that day, and is 0 on spine days without any.
with line_items as (
    select account_sfid, day, sum(won_arr) as total_arr
    from {{ ref('opportunitylineitem_daily_arr') }}
    group by account_sfid, day
)

select accounts.account_sfid, accounts.day, accounts.total_arr, line_items.total_arr as line_item_arr
from {{ ref('account_daily_arr') }} as accounts
full outer join line_items
    on line_items.account_sfid = accounts.account_sfid
    and line_items.day = accounts.day
where coalesce(accounts.total_arr, -1) <> coalesce(line_items.total_arr, 0)
