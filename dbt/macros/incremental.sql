{#- Row filter of an incremental model that rebuilds whole days. A run (re)builds every day within
    var('lookback_days') of the newest built day, plus any older day that received input rows after the last
    build (late CloudFront files, backfills), so a watermark never skips a late day. Pair it with
    incremental_strategy='delete+insert' and unique_key=<the day column>: each rebuilt day is replaced whole.
    `inputs` is a relation or CTE name with the day and load-time expressions; the model keeps the newest load
    time of its inputs in a `loaded_at` column. -#}
{% macro rebuild_days_filter(inputs, day_expr, loaded_at_expr, day_col) -%}
    {%- if is_incremental() -%}
    (
        not exists (select 1 from {{ this }})
        or {{ day_expr }} >= (
            select {{ dbt.dateadd('day', -1 * var('lookback_days') | int, 'max(' ~ day_col ~ ')') }} from {{ this }})
        or {{ day_expr }} in (
            select {{ day_expr }} from {{ inputs }}
            where {{ loaded_at_expr }} > (select max(loaded_at) from {{ this }}))
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
