{{ config(materialized='table') }}
-- One row per server: when it was first and last seen active, and its largest daily active user count.

with days as (
    select * from {{ ref('server_daily_details') }}
),

latest as (
    select server_id, version, edition
    from days
    qualify row_number() over (partition by server_id order by date desc) = 1
)

select
    days.server_id,
    min(days.date) as first_active_date,
    max(days.date) as last_active_date,
    count(*) as active_days,
    min(case when days.in_security then days.date end) as first_security_date,
    max(case when days.in_security then days.date end) as last_security_date,
    coalesce(max(days.active_user_count), 0) as max_active_user_count,
    max(latest.version) as latest_version,
    max(latest.edition) as latest_edition
from days
join latest on latest.server_id = days.server_id
group by days.server_id
