{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='logdate',
    on_schema_change='fail',
    pre_hook="{{ drop_withdrawn_days() }}",
) }}
-- One row per security-update check (GET /security). The query string is percent-decoded once (CloudFront
-- encodes it again when logging), then parsed by exact key; identical checks collapse into one row.

with checks as (
    select
        {{ url_decode("nullif(cs_uri_query, '-')") }} as query,
        cast(logdate as date) as logdate,
        logtime,
        edge,
        cip,
        _loaded_at
    from {{ source('diagnostics', 'log_entries') }}
    where uri = '/security'
      and {{ rebuild_days_filter(source('diagnostics', 'log_entries'), 'cast(logdate as date)', '_loaded_at', 'logdate') }}
),

parsed as (
    select
        {{ query_param('query', 'id') }} as id,
        {{ query_param('query', 'b') }} as version,
        {{ query_param('query', 'db') }} as db,
        {{ query_param('query', 'os') }} as os,
        {{ query_param('query', 'ut') }} as ut,
        lower({{ query_param('query', 'be') }}) as be,
        {{ query_param('query', 'auc') }} as auc,
        {{ query_param('query', 'uc') }} as uc,
        {{ query_param('query', 'tc') }} as tc,
        logdate,
        logtime,
        edge,
        cip,
        _loaded_at
    from checks
),

checks_typed as (
    select
        id,
        version,
        coalesce(contains(version, '_BUILD_NUMBER_'), false) as dev_build,
        coalesce(ut = '1', false) as ran_tests,
        db,
        os,
        {{ count_or_zero('auc') }} as active_user_count,
        {{ count_or_zero('uc') }} as user_count,
        {{ count_or_zero('tc') }} as team_count,
        coalesce(be = 'true', false) as enterprise_ready,
        cast(substr(logtime, 1, 2) as integer) as hour,
        case when logtime < '12:00' then 'A' else 'B' end as grouping,
        substr(edge, 1, 3) as location,
        cip as ip_address,
        logdate,
        cast(cast(logdate as {{ dbt.type_string() }}) || ' ' || logtime as {{ dbt.type_timestamp() }}) as timestamp,
        _loaded_at
    from parsed
)

select
    id,
    version,
    dev_build,
    ran_tests,
    db,
    os,
    active_user_count,
    user_count,
    team_count,
    enterprise_ready,
    hour,
    grouping,
    location,
    ip_address,
    logdate,
    timestamp,
    max(_loaded_at) as loaded_at
from checks_typed
group by
    id, version, dev_build, ran_tests, db, os, active_user_count, user_count, team_count, enterprise_ready,
    hour, grouping, location, ip_address, logdate, timestamp
