{{ config(materialized='table') }}
-- Each user's latest score of the month, per server.

with scores as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month
    from {{ ref('stg_mattermost_nps__score') }}
)

select
    {{ surrogate_key(['month', 'server_id', 'user_actual_id']) }} as id,
    month,
    server_id,
    user_actual_id,
    score,
    {{ promoter_type('score') }} as promoter_type,
    timestamp as score_timestamp
from scores
qualify row_number() over (partition by month, server_id, user_actual_id order by timestamp desc) = 1
