{#- Value of `key` in a query string that has already been percent-decoded once (CloudFront logs query strings
    double-encoded). Exact key match, so `uc` never matches inside `auc`; the value is then form-decoded
    ('+' is a space, %XX an escaped byte). NULL when the key is absent or empty. -#}
{% macro query_param(decoded_query, key) -%}
    {%- set raw_value = bizops.regex_extract(decoded_query, '(^|&)' ~ key ~ '=([^&]*)', 2) -%}
    {{ bizops.url_decode("replace(" ~ raw_value ~ ", '+', ' ')") }}
{%- endmacro %}

{#- A count parsed from a query value: at most 10 digits (fits a bigint); 0 when absent or malformed. -#}
{% macro count_or_zero(value) -%}
    case when {{ bizops.regex_search(value, '^[0-9]{1,10}$') }} then cast({{ value }} as bigint) else 0 end
{%- endmacro %}
