{#- Post-hook: queue this model for the reverse-ETL task (util.pg_imports). At most one unprocessed row per
    source and destination, so frequent runs do not pile up copies while pg-import is down.
    A model using it needs `-- depends_on: {{ ref('pg_imports') }}`. -#}
{% macro pg_import(destination_table, post_process_file) -%}
    {%- set queue = ref('pg_imports') -%}
    {%- set source_table = [this.database, this.schema, this.identifier] | join('.') | lower -%}
    insert into {{ queue }} (source_table, destination_table, created_at, post_process_file)
    select '{{ source_table }}', '{{ destination_table }}', {{ bizops.utc_now() }}, '{{ post_process_file }}'
    where not exists (
        select 1 from {{ queue }}
        where source_table = '{{ source_table }}'
          and destination_table = '{{ destination_table }}'
          and processed_at is null
    )
{%- endmacro %}
