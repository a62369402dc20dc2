{{ config(materialized='table') }}
-- One row per license as of the run date: whether it is in force, which servers report it in telemetry, and
-- their largest active user count.

with licenses as (
    select * from {{ ref('licenses') }}
),

license_servers as (
    select distinct license_id, server_id
    from {{ ref('stg_mattermost2__license') }}
),

servers as (
    select
        license_servers.license_id,
        count(distinct license_servers.server_id) as server_count,
        max(server_fact.last_active_date) as last_server_active_date,
        max(server_fact.max_active_user_count) as max_active_user_count
    from license_servers
    left join {{ ref('server_fact') }} as server_fact
        on server_fact.server_id = license_servers.server_id
    group by license_servers.license_id
)

select
    licenses.license_id,
    licenses.customer_id,
    licenses.company,
    licenses.license_type,
    licenses.issued_at,
    licenses.expires_at,
    cast(licenses.issued_at as date) <= {{ run_date() }}
        and cast(licenses.expires_at as date) >= {{ run_date() }} as is_active,
    {{ dbt.datediff(run_date(), 'cast(licenses.expires_at as date)', 'day') }} as days_until_expiry,
    coalesce(servers.server_count, 0) as server_count,
    servers.last_server_active_date,
    servers.max_active_user_count
from licenses
left join servers on servers.license_id = licenses.license_id
