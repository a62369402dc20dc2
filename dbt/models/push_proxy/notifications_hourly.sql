{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date',
    on_schema_change='fail',
    pre_hook="{{ drop_withdrawn_days() }}",
) }}
-- Successful push-notification sends and acknowledgements per region and hour.

select
    region,
    cast(request_time as date) as date,
    {{ dbt.date_trunc('hour', 'request_time') }} as request_hour,
    cast(sum(case when url like '%/api/v1/send_push' then 1 else 0 end) as {{ dbt.type_bigint() }}) as send_push_count,
    cast(sum(case when url like '%/api/v1/ack' then 1 else 0 end) as {{ dbt.type_bigint() }}) as ack_count,
    max(_loaded_at) as loaded_at
from {{ ref('stg_push_proxy__requests') }}
where method = 'POST'
  and elb_status_code = '200'
  and {{ rebuild_days_filter(ref('stg_push_proxy__requests'), 'cast(request_time as date)', '_loaded_at', 'date') }}
group by 1, 2, 3
