-- Latest telemetry row per server and day, complete days only.
select
    user_id as server_id,
    cast(timestamp as date) as date,
    timestamp,
    version,
    edition,
    operating_system,
    database_type,
    system_admins,
    received_at
from {{ source('mattermost2', 'server') }}
where user_id is not null
  and cast(timestamp as date) <= {{ dbt.dateadd('day', -1, run_date()) }}
qualify row_number() over (partition by user_id, cast(timestamp as date) order by timestamp desc, received_at desc) = 1
