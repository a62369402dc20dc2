{#- Row filter of an incremental model that rebuilds whole days. A run (re)builds every day within
    var('lookback_days') of the newest built day, plus any older day that received input rows after the last
    build (late CloudFront files, backfills), so a watermark never skips a late day, and the days a failed load
    withdrew (withdrawn_days: the pre-hook drop_withdrawn_days drops them first). Pair it with
    incremental_strategy='delete+insert' and unique_key=<the day column>: each rebuilt day is replaced whole.
    `inputs` is a relation or CTE name with the day and load-time expressions; the model keeps the newest load
    time of its inputs in a `loaded_at` column. -#}
{% macro rebuild_days_filter(inputs, day_expr, loaded_at_expr, day_col) -%}
    {%- if is_incremental() -%}
    {%- set withdrawn = withdrawn_days() %}
    (
        not exists (select 1 from {{ this }})
        or {{ day_expr }} >= (
            select {{ dbt.dateadd('day', -1 * var('lookback_days') | int, 'max(' ~ day_col ~ ')') }} from {{ this }})
        or {{ day_expr }} in (
            select {{ day_expr }} from {{ inputs }}
            where {{ loaded_at_expr }} > (select max(loaded_at) from {{ this }}))
        {%- if withdrawn %}
        or {{ day_expr }} in ({{ date_literals(withdrawn) }})
        {%- endif %}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#- Days an incremental model must drop and build again because a load withdrew them: a day whose load failed its
    checks (too many rejects) loses its rows from the raw table, and a failure marker in the pipeline's marker table
    ('<raw table>/<YYYY-MM-DD>/failed/v<n>') says so until the day loads again. A run replaces only the days it has
    rows for, so without this a mart would keep such a day as last built. The raw tables are those the model reads
    through its ancestors; each failed day comes with the day before and after, which rows of its files can fall on
    (a log file of the first minutes of a day holds requests of the last minutes of the day before). Date strings,
    none when nothing failed or the marker table does not exist (dbt run by itself on a new warehouse). -#}
{% macro withdrawn_days() -%}
    {%- if not (execute and is_incremental()) -%}{{ return([]) }}{%- endif -%}
    {%- set parts = env_var('BIZOPS_MARKER_TABLE', 'raw.pipeline.markers').split('.') -%}
    {%- set markers = adapter.get_relation(database=parts[0], schema=parts[1], identifier=parts[2]) -%}
    {%- set tables = raw_tables_read() -%}
    {%- if markers is none or not tables -%}{{ return([]) }}{%- endif -%}
    {%- set failed = run_query(
        "select distinct " ~ dbt.split_part('update_id', "'/'", 2) ~ " from " ~ markers
        ~ " where target_table in ('" ~ tables | join("', '") ~ "') and update_id like '%/failed/%'"
    ) -%}
    {%- set days = [] -%}
    {%- for row in failed.rows -%}
        {%- set day = modules.datetime.date.fromisoformat((row[0] | string)[:10]) -%}
        {%- for offset in (-1, 0, 1) -%}
            {%- do days.append((day + modules.datetime.timedelta(days=offset)).isoformat()) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(days | unique | sort) }}
{%- endmacro %}

{#- Pre-hook of an incremental model keyed by day (unique_key): drop the withdrawn days, which its run builds again
    from the rows they still have. -#}
{% macro drop_withdrawn_days() -%}
    {%- set days = withdrawn_days() -%}
    {%- if days -%}
    delete from {{ this }} where {{ config.get('unique_key') }} in ({{ date_literals(days) }})
    {%- endif -%}
{%- endmacro %}

{% macro date_literals(days) -%}
    {%- for day in days %}cast('{{ day }}' as date){{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- The raw tables (database.schema.table, lower case) a model reads, through its ancestors. -#}
{% macro raw_tables_read() -%}
    {%- set found = [] -%}
    {%- set queue = [model.unique_id] -%}
    {%- for uid in queue -%}
        {%- if uid in graph.sources -%}
            {%- set source = graph.sources[uid] -%}
            {%- do found.append((source.database ~ '.' ~ source.schema ~ '.' ~ source.identifier) | lower) -%}
        {%- elif uid in graph.nodes -%}
            {%- for parent in graph.nodes[uid].depends_on.nodes if parent not in queue -%}
                {%- do queue.append(parent) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found | unique | sort) }}
{%- endmacro %}
