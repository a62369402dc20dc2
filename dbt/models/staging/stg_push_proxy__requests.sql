-- The three load balancers' logs as one, with the request line split into method, URL and HTTP version.
-- Lines that do not split into exactly three parts (malformed or probe requests) are dropped; spaces around the
-- line are not parts (some clients send "POST <url> HTTP/1.0 ", and ALB logs the line as sent).
{%- set regions = {'logs': 'us', 'test_logs': 'test', 'de_logs': 'de'} %}
{% for table_name, region in regions.items() %}
select
    '{{ region }}' as region,
    cast(replace(replace(requesttime, 'T', ' '), 'Z', '') as {{ dbt.type_timestamp() }}) as request_time,
    elb_status_code,
    split_part(request_line, ' ', 1) as method,
    split_part(request_line, ' ', 2) as url,
    split_part(request_line, ' ', 3) as http_version,
    user_agent,
    _loaded_at
from (select *, trim(request) as request_line from {{ source('push_proxy', table_name) }}) as requests
where length(request_line) - length(replace(request_line, ' ', '')) = 2
  and split_part(request_line, ' ', 1) <> ''
  and split_part(request_line, ' ', 2) <> ''
  and split_part(request_line, ' ', 3) <> ''
{% if not loop.last %}union all{% endif %}
{%- endfor %}
