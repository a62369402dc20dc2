-- Latest non-empty feedback per server, user and day, complete days only.
select
    coalesce(server_id, user_id) as server_id,
    user_actual_id,
    cast(timestamp as date) as date,
    timestamp,
    feedback
from {{ source('mattermost_nps', 'nps_feedback') }}
where user_actual_id is not null
  and nullif(trim(feedback), '') is not null
  and cast(timestamp as date) <= {{ dbt.dateadd('day', -1, run_date()) }}
qualify row_number() over (
    partition by coalesce(server_id, user_id), user_actual_id, cast(timestamp as date)
    order by timestamp desc, received_at desc
) = 1
