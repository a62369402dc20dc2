{#- on-run-start: functions a dialect lacks. DuckDB has them all built in. -#}
{% macro create_udfs() -%}
    {{ adapter.dispatch('create_udfs', 'bizops')() }}
{%- endmacro %}

{% macro duckdb__create_udfs() -%}
{%- endmacro %}

{#- Runs of %XX escapes are decoded together so multi-byte UTF-8 characters survive; any invalid run keeps the
    whole string as logged, which is what DuckDB's try(url_decode(...)) fallback does. -#}
{% macro snowflake__create_udfs() -%}
    create schema if not exists {{ target.database }}.util;
    create or replace function {{ target.database }}.util.url_decode(s varchar)
        returns varchar
        language javascript
        strict immutable
        comment = 'Percent-decodes UTF-8; malformed escapes stay literal; invalid UTF-8 returns the input.'
    as $$
        var failed = false;
        var out = S.replace(/(%[0-9A-Fa-f]{2})+/g, function (run) {
            try { return decodeURIComponent(run); } catch (e) { failed = true; return run; }
        });
        return failed ? S : out;
    $$;
{%- endmacro %}
