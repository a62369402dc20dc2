-- The three load balancers' logs as one, with the request line split into method, URL and HTTP version.
-- Lines that do not split into exactly three parts (malformed or probe requests) are dropped.
{%- set regions = {'logs': 'us', 'test_logs': 'test', 'de_logs': 'de'} %}
{% for table_name, region in regions.items() %}
select
    '{{ region }}' as region,
    cast(replace(replace(requesttime, 'T', ' '), 'Z', '') as {{ dbt.type_timestamp() }}) as request_time,
    elb_status_code,
    split_part(request, ' ', 1) as method,
    split_part(request, ' ', 2) as url,
    split_part(request, ' ', 3) as http_version,
    user_agent,
    _loaded_at
from {{ source('push_proxy', table_name) }}
where length(request) - length(replace(request, ' ', '')) = 2
  and split_part(request, ' ', 1) <> ''
  and split_part(request, ' ', 2) <> ''
  and split_part(request, ' ', 3) <> ''
{% if not loop.last %}union all{% endif %}
{%- endfor %}
