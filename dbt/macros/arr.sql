{#- ARR rollups shared by the account and master-account models (the same logic at two grains). -#}

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

{#- Day-over-day change. The spine is gapless, so the previous row is the previous day; before the spine the
    ARR is 0. The first day with ARR is flagged as new ARR. -#}
{% macro arr_daily_deltas(daily_model, key, carry=[]) -%}
{%- set prefix = key | replace('_sfid', '') -%}
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
    coalesce(day = first_arr_day, false) as {{ prefix }}_new_arr
from daily
{%- endmacro %}

{#- The class of an ARR movement over a month or a month so far, from the columns month, month_starting_arr,
    month_ending_arr, total_arr_delta and first_change_month (the key's first month whose whole-month delta is
    not 0, NULL if none). A month to date can change while its whole month nets to 0, so New means no change in
    an earlier month rather than month = first_change_month; for whole months the two agree. -#}
{% macro arr_change_type() -%}
    case
        when total_arr_delta = 0 then null
        when first_change_month is null or first_change_month >= month then 'New'
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
        cast({{ dbt.date_trunc('month', 'day') }} as date) as month
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
        max(case when is_first_day then previous_day_arr end) as month_starting_arr,
        max(case when is_last_day then total_arr end) as month_ending_arr,
        cast(sum(total_arr_delta) as {{ dbt.type_bigint() }}) as total_arr_delta
    from edges
    group by {{ columns | join(', ') }}, month
),

classified as (
    select
        *,
        min(case when total_arr_delta <> 0 then month end) over (partition by {{ key }}) as first_change_month
    from monthly
)

select
    {{ columns | join(', ') }},
    month,
    {{ format_ts('month', 'YYYY-MM') }} as month_label,
    month_starting_arr,
    month_ending_arr,
    total_arr_delta,
    {{ arr_change_type() }} as arr_change_type
from classified
{%- endmacro %}
