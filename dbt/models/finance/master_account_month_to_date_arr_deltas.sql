-- Each master account's ARR movement over the month so far, on every day: the figures of
-- master_account_monthly_arr_deltas for the month from its first day to `day`, classified by the same macro
-- (New: the month so far holds the account's first day with ARR).

with daily as (
    select
        master_account_sfid,
        cast({{ dbt.date_trunc('month', 'day') }} as date) as month,
        day,
        total_arr,
        previous_day_arr,
        total_arr_delta,
        day = max(day) over (partition by master_account_sfid) as is_spine_end,
        max(case when master_account_new_arr then day end) over (partition by master_account_sfid) as first_arr_day
    from {{ ref('master_account_daily_arr_deltas') }}
),

to_date as (
    select
        master_account_sfid,
        month,
        day,
        first_value(previous_day_arr) over (partition by master_account_sfid, month order by day)
            as month_starting_arr,
        total_arr as month_ending_arr,
        cast(sum(total_arr_delta) over (
            partition by master_account_sfid, month order by day rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as total_arr_delta,
        first_arr_day,
        is_spine_end
    from daily
),

-- The spine ends before its month does; the ARR stays 0 after it, so the rest of that month repeats its last
-- day and a digest day there still sees the month's fall.
days as (
    select master_account_sfid, month, day, month_starting_arr, month_ending_arr, total_arr_delta, first_arr_day
    from to_date
    union all
    select
        to_date.master_account_sfid,
        to_date.month,
        dates.date_day as day,
        to_date.month_starting_arr,
        to_date.month_ending_arr,
        to_date.total_arr_delta,
        to_date.first_arr_day
    from to_date
    join {{ ref('dates') }} as dates
        on dates.month_start = to_date.month
        and dates.date_day > to_date.day
    where to_date.is_spine_end
)

select
    master_account_sfid,
    month,
    day,
    month_starting_arr,
    month_ending_arr,
    total_arr_delta,
    {{ arr_change_type('day') }} as arr_change_type
from days
