{{ config(materialized='table') }}
-- Completed downloads of server tarballs and desktop apps from releases.mattermost.com.
-- Partial downloads are dropped: besides the 1 MB floor, a download more than one standard deviation from
-- the mean size of its URI (over all history) is not counted. Lines loaded twice count once (request id).
-- Rebuilt whole each run: the statistics read all history anyway, and every day must follow them (incremental, an
-- old day kept the statistics of its first build, so the counts depended on when the days were loaded).
{%- set server_uri = '^/[1-9][0-9]{0,2}[.][0-9]{1,3}[.][0-9]{1,3}/' %}
{%- set desktop_uri = '^/desktop/[0-9]+[.][0-9]+[.][0-9]+/' %}

with requests as (
    select
        x_edge_request_id as request_id,
        cast(logdate as date) as logdate,
        cast(logdate || ' ' || logtime as {{ dbt.type_timestamp() }}) as timestamp,
        uri,
        try_cast(bytessent as bigint) as bytes_sent,
        cip as ip_address,
        substr(edge, 1, 3) as location,
        lower(nullif(creferrer, '-')) as referrer,
        _loaded_at
    from {{ source('releases', 'log_entries') }}
    where status like '2__'
      and try_cast(bytessent as bigint) > 1000000
      and ({{ regex_search('uri', server_uri) }} or {{ regex_search('uri', desktop_uri) }})
    qualify row_number() over (partition by x_edge_request_id order by _loaded_at desc) = 1
),

uri_sizes as (
    select uri, avg(bytes_sent) as mean_bytes, stddev_samp(bytes_sent) as stddev_bytes
    from requests
    group by uri
),

complete as (
    select requests.*
    from requests
    join uri_sizes on uri_sizes.uri = requests.uri
    -- A URI downloaded once has no deviation to compare with.
    where uri_sizes.stddev_bytes is null
       or abs(requests.bytes_sent - uri_sizes.mean_bytes) <= uri_sizes.stddev_bytes
)

select
    request_id,
    logdate,
    timestamp,
    uri,
    case when {{ regex_search('uri', server_uri) }} then 'server' else 'desktop' end as download_type,
    case
        when {{ regex_search('uri', server_uri) }}
            then {{ regex_extract('uri', '^/([0-9]+[.][0-9]+[.][0-9]+)/') }}
        else {{ regex_extract('uri', '^/desktop/([0-9]+[.][0-9]+[.][0-9]+)/') }}
    end as version,
    case
        when not {{ regex_search('uri', server_uri) }} then null
        when lower(uri) like '%team%' then 'team'
        else 'enterprise'
    end as edition,
    case
        when {{ regex_search('uri', server_uri) }} then null
        when {{ regex_search('lower(uri)', '([.]msi$|win[0-9]{2}|-win-|-win[.][^/]+$)') }} then 'windows'
        when {{ regex_search('lower(uri)', '(mac[.][^/]+$|-osx[.])') }} then 'mac'
        when lower(uri) like '%linux%' then 'linux'
        else 'other'
    end as os,
    bytes_sent,
    ip_address,
    location,
    replace(replace({{ regex_extract('referrer', '^[a-z][a-z0-9+.-]*://([^/?#@]*@)?([[][^]/?#]*[]]|[^/?#:]+)', 2) }},
        '[', ''), ']', '') as server_source,
    _loaded_at as loaded_at
from complete
