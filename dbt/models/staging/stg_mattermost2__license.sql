-- Latest license telemetry per server and day, complete days only.
select
    user_id as server_id,
    cast(timestamp as date) as date,
    license_id,
    customer_id,
    edition,
    users as licensed_users,
    {{ epoch_ms_to_timestamp('issued') }} as issued_at,
    {{ epoch_ms_to_timestamp('_start') }} as starts_at,
    {{ epoch_ms_to_timestamp('expire') }} as expires_at,
    received_at
from {{ source('mattermost2', 'license') }}
where user_id is not null
  and cast(timestamp as date) <= {{ dbt.dateadd('day', -1, run_date()) }}
qualify row_number() over (partition by user_id, cast(timestamp as date) order by timestamp desc, received_at desc) = 1
