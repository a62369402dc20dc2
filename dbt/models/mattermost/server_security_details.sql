{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date',
    on_schema_change='fail',
    pre_hook="{{ drop_withdrawn_days() }}",
) }}
-- Active users per server and complete day, from the security checks of real production servers.
--
-- A release reports its build `b` as CurrentVersion.BuildNumber, and a release's build number is its version again
-- (10.5.2.10.5.2): six or more dot-separated numbers, each of any width. That is 2020's rule
-- `version like '_.%._._.%._'` without its one-digit parts, which dropped 4.10.10 and every 10.x and 11.x server.
-- Builds whose number is not a version (5.20.0._BUILD_NUMBER_ of a dev build, 5.20.0.dev) and servers running their
-- unit tests (ut=1) are not production servers.

with checks as (
    select *
    from {{ ref('security') }} as security
    where not dev_build
      and not ran_tests
      and {{ regex_search('version', '^[0-9]+([.][0-9]+){5,}$') }}
      and user_count >= active_user_count
      and id is not null
      and logdate <= {{ dbt.dateadd('day', -1, run_date()) }}
      {%- if var('excluded_security_ips') %}
      and ip_address not in ('{{ var("excluded_security_ips") | join("', '") }}')
      {%- endif %}
      and not exists (
          select 1 from {{ ref('excludable_servers') }} as excluded
          where excluded.server_id = security.id
      )
      and {{ rebuild_days_filter(ref('security'), 'logdate', 'loaded_at', 'date') }}
),

latest as (
    select
        id,
        logdate,
        ip_address,
        version,
        db,
        os,
        enterprise_ready,
        location,
        user_count,
        team_count
    from checks
    qualify row_number() over (partition by id, logdate order by timestamp desc, ip_address desc) = 1
),

daily as (
    select
        id,
        logdate,
        max(active_user_count) as active_user_count,
        count(*) as occurrences,
        count(distinct ip_address) as ip_count,
        max(loaded_at) as loaded_at
    from checks
    group by id, logdate
)

select
    daily.id as server_id,
    daily.logdate as date,
    daily.active_user_count,
    latest.user_count,
    latest.team_count,
    latest.ip_address,
    latest.version,
    latest.db,
    latest.os,
    latest.enterprise_ready,
    latest.location,
    daily.occurrences,
    daily.ip_count,
    daily.loaded_at
from daily
join latest
    on latest.id = daily.id
    and latest.logdate = daily.logdate
