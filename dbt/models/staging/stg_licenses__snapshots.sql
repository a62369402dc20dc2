-- One row per license per daily export. The snapshot day is the date in the file path; rows whose path has
-- none fall back to the load day.
select
    licenseid as license_id,
    customerid as customer_id,
    company,
    email,
    stripeid as stripe_id,
    number,
    {{ epoch_ms_to_timestamp('try_cast(issuedat as bigint)') }} as issued_at,
    {{ epoch_ms_to_timestamp('try_cast(expiresat as bigint)') }} as expires_at,
    coalesce(
        cast({{ regex_extract('_file', '([0-9]{4}-[0-9]{2}-[0-9]{2})') }} as date),
        cast(_loaded_at as date)
    ) as snapshot_date,
    _loaded_at
from {{ source('licenses', 'licenses') }}
where nullif(licenseid, '') is not null
