{#- Live rows of a replicated Salesforce table. Heroku Connect flags deletes with isdeleted, and deletes it never
    saw are only recorded in delete_history__c, so both are applied here (isdeleted alone would keep those rows). -#}
{% macro orgm_live_rows(table_name) -%}
    select rows.*
    from {{ source('orgm', table_name) }} as rows
    where not coalesce(rows.isdeleted, false)
      and not exists (
          select 1
          from {{ source('orgm', 'delete_history__c') }} as deleted
          where deleted.object_id__c = rows.sfid
            and not coalesce(deleted.isdeleted, false)
      )
{%- endmacro %}
