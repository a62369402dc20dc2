{#- NPS bucket of a 0-10 score; NULL without a score. -#}
{% macro promoter_type(score) -%}
    case
        when {{ score }} < 7 then 'Detractor'
        when {{ score }} < 9 then 'Passive'
        when {{ score }} >= 9 then 'Promoter'
    end
{%- endmacro %}
