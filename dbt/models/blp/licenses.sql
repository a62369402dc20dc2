{{ config(materialized='table') }}
-- One row per license: its latest exported attributes and the days it was first and last exported.

with snapshots as (
    select * from {{ ref('stg_licenses__snapshots') }}
),

latest as (
    select *
    from snapshots
    qualify row_number() over (partition by license_id order by snapshot_date desc, _loaded_at desc) = 1
),

seen as (
    select
        license_id,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from snapshots
    group by license_id
)

select
    latest.license_id,
    latest.customer_id,
    latest.company,
    latest.email,
    latest.stripe_id,
    latest.number,
    latest.issued_at,
    latest.expires_at,
    case
        when latest.company like '% - Trial' then 'trial'
        when latest.company like '% - Non-prod' then 'non-prod'
        when latest.company like '% - Stage license' then 'stage'
        else 'production'
    end as license_type,
    seen.first_snapshot_date,
    seen.last_snapshot_date
from latest
join seen on seen.license_id = latest.license_id
