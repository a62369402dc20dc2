{#- ARR rollups shared by the account and master-account models (the same logic at two grains). -#}

{#- The plausible span of a term: var('arr_horizon_years') years either side of the run date. A date beyond it is a
    typo (an end in 2204 for 2024): the line item goes to qa.salesforce_data_errors instead of ARR, and it cannot
    stretch the calendar (util.dates) by centuries. -#}
{% macro arr_horizon(side) -%}
    {%- set years = var('arr_horizon_years') | int -%}
    cast({{ dbt.dateadd('year', years if side == 'end' else -years, run_date()) }} as date)
{%- endmacro %}

{#- The terms ARR counts: a line item earns ARR on each day from its start to its end date, so a term needs an end
    after its start (the same day earns nothing; an end before the start is a data error), and both dates within
    the horizon. util.dates covers every such term. -#}
{% macro arr_term(start_date, end_date) -%}
    ({{ end_date }} > {{ start_date }}
        and {{ start_date }} >= {{ arr_horizon('start') }}
        and {{ end_date }} <= {{ arr_horizon('end') }})
{%- endmacro %}

{#- Daily ARR per `key` over a spine from the day before its first term to two days after its last, so every
    key starts and ends with zero-ARR days. `carry` columns depend on the key (e.g. an account's master). -#}
{% macro arr_daily_rollup(key, carry=[]) -%}
{%- set columns = [key] + carry -%}
with line_item_arr as (
    select {{ columns | join(', ') }}, day, cast(sum(won_arr) as {{ dbt.type_bigint() }}) as total_arr
    from {{ ref('opportunitylineitem_daily_arr') }}
    group by {{ columns | join(', ') }}, day
),

bounds as (
    select
        {{ columns | join(', ') }},
        cast({{ dbt.dateadd('day', -1, 'min(day)') }} as date) as first_day,
        cast({{ dbt.dateadd('day', 2, 'max(day)') }} as date) as last_day
    from line_item_arr
    group by {{ columns | join(', ') }}
)

select
    {%- for column in columns %}
    bounds.{{ column }},
    {%- endfor %}
    dates.date_day as day,
    coalesce(line_item_arr.total_arr, 0) as total_arr
from bounds
join {{ ref('dates') }} as dates
    on dates.date_day between bounds.first_day and bounds.last_day
left join line_item_arr
    on line_item_arr.{{ key }} = bounds.{{ key }}
    and line_item_arr.day = dates.date_day
{%- endmacro %}

{#- The name of a key's daily new-ARR flag: account_new_arr, master_account_new_arr. -#}
{% macro new_arr_flag(key) -%}
    {{ key | replace('_sfid', '') }}_new_arr
{%- endmacro %}

{#- Day-over-day change. The spine is gapless, so the previous row is the previous day; before the spine the
    ARR is 0. The first day with ARR is flagged as new ARR: the day the key became a customer, whose month is the
    key's New month in the monthly classification (arr_change_type). -#}
{% macro arr_daily_deltas(daily_model, key, carry=[]) -%}
with daily as (
    select
        *,
        coalesce(lag(total_arr) over (partition by {{ key }} order by day), 0) as previous_day_arr,
        min(case when total_arr <> 0 then day end) over (partition by {{ key }}) as first_arr_day
    from {{ ref(daily_model) }}
)

select
    {{ ([key] + carry) | join(', ') }},
    day,
    total_arr,
    previous_day_arr,
    total_arr - previous_day_arr as total_arr_delta,
    coalesce(day = first_arr_day, false) as {{ new_arr_flag(key) }}
from daily
{%- endmacro %}

{#- The class of an ARR movement over a month, or a month so far up to `period_end`, from the columns month,
    month_starting_arr, month_ending_arr, total_arr_delta and first_arr_day (the key's first day with ARR, the day
    its <key>_new_arr flag marks; NULL if none).
    New: the period holds the first day with ARR - the same "new" as the daily flag - whatever the period's net
    change: ARR that starts and ends within one month is New in that month with a delta of 0, and the next rise
    from zero is a Resurrection. Otherwise only a change is classed: Expansion (a rise from ARR), Resurrection (a
    rise from zero), Contraction (a fall leaving ARR), Churn (a fall to zero). -#}
{% macro arr_change_type(period_end) -%}
    case
        when first_arr_day between month and {{ period_end }} then 'New'
        when total_arr_delta = 0 then null
        when total_arr_delta > 0 and month_starting_arr <> 0 then 'Expansion'
        when total_arr_delta > 0 then 'Resurrection'
        when month_ending_arr <> 0 then 'Contraction'
        else 'Churn'
    end
{%- endmacro %}

{#- Monthly ARR movement and its class. Starting ARR is the ARR of the day before the month (0 before the
    spine), ending ARR that of its last day (0 after the spine); the delta is the sum of the daily deltas. -#}
{% macro arr_monthly_deltas(daily_deltas_model, key, carry=[]) -%}
{%- set columns = [key] + carry -%}
with daily as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'day') }} as date) as month,
        max(case when {{ new_arr_flag(key) }} then day end) over (partition by {{ key }}) as first_arr_day
    from {{ ref(daily_deltas_model) }}
),

edges as (
    select
        *,
        day = min(day) over (partition by {{ key }}, month) as is_first_day,
        day = max(day) over (partition by {{ key }}, month) as is_last_day
    from daily
),

monthly as (
    select
        {{ columns | join(', ') }},
        month,
        first_arr_day,
        max(case when is_first_day then previous_day_arr end) as month_starting_arr,
        max(case when is_last_day then total_arr end) as month_ending_arr,
        cast(sum(total_arr_delta) as {{ dbt.type_bigint() }}) as total_arr_delta
    from edges
    group by {{ columns | join(', ') }}, month, first_arr_day
)

select
    {{ columns | join(', ') }},
    month,
    {{ format_ts('month', 'YYYY-MM') }} as month_label,
    month_starting_arr,
    month_ending_arr,
    total_arr_delta,
    {{ arr_change_type(dbt.last_day('month', 'month')) }} as arr_change_type
from monthly
{%- endmacro %}
