{{ config(materialized='table') }}
-- One row per server, user and day with an NPS answer: the day's latest score and latest feedback.

with scores as (
    select * from {{ ref('stg_mattermost_nps__score') }}
),

feedback as (
    select * from {{ ref('stg_mattermost_nps__feedback') }}
)

select
    coalesce(scores.server_id, feedback.server_id) as server_id,
    coalesce(scores.user_actual_id, feedback.user_actual_id) as user_actual_id,
    coalesce(scores.date, feedback.date) as date,
    scores.score,
    {{ promoter_type('scores.score') }} as promoter_type,
    feedback.feedback,
    scores.license_id,
    scores.license_sku,
    scores.server_version,
    scores.user_role,
    scores.timestamp as score_timestamp,
    feedback.timestamp as feedback_timestamp
from scores
full outer join feedback
    on feedback.server_id = scores.server_id
    and feedback.user_actual_id = scores.user_actual_id
    and feedback.date = scores.date
