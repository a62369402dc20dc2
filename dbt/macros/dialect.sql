{#- The few expressions DuckDB and Snowflake spell differently. Everything else uses dbt's cross-db macros. -#}

{#- A regex as an SQL string literal: Snowflake literals treat backslash as an escape, DuckDB literals do not. -#}
{% macro regex_literal(pattern) -%}
    {{ adapter.dispatch('regex_literal', 'bizops')(pattern) }}
{%- endmacro %}
{% macro duckdb__regex_literal(pattern) -%}
    '{{ pattern | replace("'", "''") }}'
{%- endmacro %}
{% macro snowflake__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- True when the regex matches anywhere in expr (Snowflake's regexp_like must match the whole string). -#}
{% macro regex_search(expr, pattern) -%}
    {{ adapter.dispatch('regex_search', 'bizops')(expr, pattern) }}
{%- endmacro %}
{% macro duckdb__regex_search(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ bizops.regex_literal(pattern) }})
{%- endmacro %}
{% macro snowflake__regex_search(expr, pattern) -%}
    (regexp_instr({{ expr }}, {{ bizops.regex_literal(pattern) }}) > 0)
{%- endmacro %}

{#- Capture group `group` of the first match, NULL when there is no match or the group is empty. -#}
{% macro regex_extract(expr, pattern, group=1) -%}
    nullif({{ adapter.dispatch('regex_extract', 'bizops')(expr, pattern, group) }}, '')
{%- endmacro %}
{% macro duckdb__regex_extract(expr, pattern, group) -%}
    regexp_extract({{ expr }}, {{ bizops.regex_literal(pattern) }}, {{ group }})
{%- endmacro %}
{% macro snowflake__regex_extract(expr, pattern, group) -%}
    regexp_substr({{ expr }}, {{ bizops.regex_literal(pattern) }}, 1, 1, 'e', {{ group }})
{%- endmacro %}

{#- Percent-decoding as UTF-8; malformed escapes stay literal and a string whose escapes are not valid UTF-8
    is kept as logged. '+' is left alone: CloudFront does not encode it. -#}
{% macro url_decode(expr) -%}
    {{ adapter.dispatch('url_decode', 'bizops')(expr) }}
{%- endmacro %}
{% macro duckdb__url_decode(expr) -%}
    coalesce(try(url_decode({{ expr }})), {{ expr }})
{%- endmacro %}
{% macro snowflake__url_decode(expr) -%}
    {{ target.database }}.util.url_decode({{ expr }})
{%- endmacro %}

{#- Epoch milliseconds (a number) to a UTC timestamp without time zone. -#}
{% macro epoch_ms_to_timestamp(expr) -%}
    {{ adapter.dispatch('epoch_ms_to_timestamp', 'bizops')(expr) }}
{%- endmacro %}
{% macro duckdb__epoch_ms_to_timestamp(expr) -%}
    epoch_ms(cast({{ expr }} as bigint))
{%- endmacro %}
{% macro snowflake__epoch_ms_to_timestamp(expr) -%}
    to_timestamp_ntz(cast({{ expr }} as number(38, 0)), 3)
{%- endmacro %}

{#- Format a date or timestamp with Snowflake format tokens (YYYY MM DD HH24 MI SS). -#}
{% macro format_ts(expr, fmt) -%}
    {{ adapter.dispatch('format_ts', 'bizops')(expr, fmt) }}
{%- endmacro %}
{% macro duckdb__format_ts(expr, fmt) -%}
    {%- set strftime_fmt = fmt | replace('YYYY', '%Y') | replace('MM', '%m') | replace('DD', '%d')
        | replace('HH24', '%H') | replace('MI', '%M') | replace('SS', '%S') -%}
    strftime({{ expr }}, '{{ strftime_fmt }}')
{%- endmacro %}
{% macro snowflake__format_ts(expr, fmt) -%}
    to_varchar({{ expr }}, '{{ fmt }}')
{%- endmacro %}

{#- The current UTC time as a timestamp without time zone (logs and queue rows are in UTC). -#}
{% macro utc_now() -%}
    {{ adapter.dispatch('utc_now', 'bizops')() }}
{%- endmacro %}
{% macro duckdb__utc_now() -%}
    timezone('UTC', {{ dbt.current_timestamp() }})
{%- endmacro %}
{% macro snowflake__utc_now() -%}
    cast({{ dbt.current_timestamp() }} as timestamp_ntz)
{%- endmacro %}

{#- Today in UTC, or var('run_date') when pinned. -#}
{% macro run_date() -%}
    {%- if var('run_date') -%}
        cast('{{ var("run_date") }}' as date)
    {%- else -%}
        cast({{ bizops.utc_now() }} as date)
    {%- endif -%}
{%- endmacro %}
