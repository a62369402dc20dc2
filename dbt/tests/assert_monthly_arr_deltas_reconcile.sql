-- Each month's ARR movement adds up (ending = starting + delta) and a month starts where the previous ended.
with months as (
    select
        account_sfid,
        month as month_start,
        month_starting_arr,
        month_ending_arr,
        total_arr_delta,
        lag(month_ending_arr) over (partition by account_sfid order by month) as previous_month_ending_arr,
        lag(month) over (partition by account_sfid order by month) as previous_month_start
    from {{ ref('account_monthly_arr_deltas') }}
)

select *
from months
where month_ending_arr <> month_starting_arr + total_arr_delta
   or (
       previous_month_start = cast({{ dbt.dateadd('month', -1, 'month_start') }} as date)
       and month_starting_arr <> previous_month_ending_arr
   )
