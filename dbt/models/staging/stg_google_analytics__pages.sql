{{ config(enabled=var('google_analytics_integrations') | length > 0) }}
-- Daily page views and unique users per integration and page. Unique users are per day: never sum them over
-- days (see the source description).
{% for integration in var('google_analytics_integrations') %}
select
    '{{ integration }}' as integration,
    cast(date as date) as date,
    pagepath as page_path,
    cast(pageviews as bigint) as pageviews,
    cast(users as bigint) as daily_users,
    _sdc_batched_at as loaded_at
from {{ source('ga_' ~ integration, 'report') }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
