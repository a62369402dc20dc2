{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date',
    on_schema_change='fail',
    pre_hook="{{ drop_withdrawn_days() }}",
) }}
-- One row per server and day it reported through the security check, Segment telemetry, or both.
-- A server seen only by the security check has telemetry (tracking) disabled.

with security as (
    select * from {{ ref('server_security_details') }}
),

telemetry as (
    select * from {{ ref('stg_mattermost2__server') }}
),

inputs as (
    select date, loaded_at from security
    union all
    select date, received_at as loaded_at from telemetry
),

days as (
    select distinct date
    from inputs
    where {{ rebuild_days_filter('inputs', 'date', 'loaded_at', 'date') }}
)

select
    coalesce(security.server_id, telemetry.server_id) as server_id,
    coalesce(security.date, telemetry.date) as date,
    security.server_id is not null as in_security,
    telemetry.server_id is not null as in_mm2_server,
    security.server_id is not null and telemetry.server_id is null as tracking_disabled,
    coalesce(security.occurrences > 1, false) as has_dupes,
    coalesce(security.ip_count > 1, false) as has_multi_ips,
    security.active_user_count,
    security.user_count,
    security.team_count,
    coalesce(telemetry.version, security.version) as version,
    telemetry.edition,
    coalesce(telemetry.database_type, security.db) as database_type,
    coalesce(telemetry.operating_system, security.os) as operating_system,
    telemetry.system_admins,
    security.ip_address,
    security.location,
    security.occurrences,
    security.ip_count,
    case
        when telemetry.received_at is null or security.loaded_at > telemetry.received_at then security.loaded_at
        else telemetry.received_at
    end as loaded_at
from security
full outer join telemetry
    on telemetry.server_id = security.server_id
    and telemetry.date = security.date
where coalesce(security.date, telemetry.date) in (select date from days)
