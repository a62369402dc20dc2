{{ config(materialized='incremental', full_refresh=false, on_schema_change='fail') }}
-- The reverse-ETL queue. pg_import() post-hooks add rows and the pg-import task sets processed_at and
-- rows_affected; dbt only creates the empty table and never rewrites it, not even on --full-refresh.

select
    cast(null as {{ dbt.type_string() }}) as source_table,
    cast(null as {{ dbt.type_string() }}) as destination_table,
    cast(null as {{ dbt.type_timestamp() }}) as created_at,
    cast(null as {{ dbt.type_string() }}) as post_process_file,
    cast(null as {{ dbt.type_timestamp() }}) as processed_at,
    cast(null as {{ dbt.type_bigint() }}) as rows_affected
where 1 = 0
