-- Latest score per server, user and day, complete days only. A row without a score is no answer: it does not hide
-- the day's score.
select
    coalesce(server_id, user_id) as server_id,
    user_actual_id,
    cast(timestamp as date) as date,
    timestamp,
    score,
    license_id,
    license_sku,
    server_version,
    user_role,
    {{ epoch_ms_to_timestamp('server_install_date') }} as server_installed_at,
    {{ epoch_ms_to_timestamp('user_create_at') }} as user_created_at
from {{ source('mattermost_nps', 'nps_score') }}
where user_actual_id is not null
  and score is not null
  and cast(timestamp as date) <= {{ dbt.dateadd('day', -1, run_date()) }}
qualify row_number() over (
    partition by coalesce(server_id, user_id), user_actual_id, cast(timestamp as date)
    order by timestamp desc, received_at desc
) = 1
