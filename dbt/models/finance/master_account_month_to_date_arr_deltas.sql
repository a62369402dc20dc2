-- Each master account's ARR movement over the month so far, on every day: the figures of
-- master_account_monthly_arr_deltas for the month from its first day to `day`, classified by the same macro.

with daily as (
    select
        master_account_sfid,
        cast({{ dbt.date_trunc('month', 'day') }} as date) as month,
        day,
        total_arr,
        previous_day_arr,
        total_arr_delta,
        day = max(day) over (partition by master_account_sfid) as is_spine_end
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
        is_spine_end
    from daily
),

-- The spine ends before its month does; the ARR stays 0 after it, so the rest of that month repeats its last
-- day and a digest day there still sees the month's fall.
days as (
    select master_account_sfid, month, day, month_starting_arr, month_ending_arr, total_arr_delta
    from to_date
    union all
    select
        to_date.master_account_sfid,
        to_date.month,
        dates.date_day as day,
        to_date.month_starting_arr,
        to_date.month_ending_arr,
        to_date.total_arr_delta
    from to_date
    join {{ ref('dates') }} as dates
        on dates.month_start = to_date.month
        and dates.date_day > to_date.day
    where to_date.is_spine_end
),

-- From the monthly mart, so "a change in an earlier month" means what it means there.
first_changes as (
    select master_account_sfid, min(month) as first_change_month
    from {{ ref('master_account_monthly_arr_deltas') }}
    where total_arr_delta <> 0
    group by master_account_sfid
),

classified as (
    select days.*, first_changes.first_change_month
    from days
    left join first_changes
        on first_changes.master_account_sfid = days.master_account_sfid
)

select
    master_account_sfid,
    month,
    day,
    month_starting_arr,
    month_ending_arr,
    total_arr_delta,
    {{ arr_change_type() }} as arr_change_type
from classified
