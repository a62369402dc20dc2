-- The calendar every spine joins to, one row per day from var('dates_start') to var('dates_end').
-- Built from digits rather than a generator function so the same SQL runs on every warehouse.

with digits as (
    select n from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d (n)
),

numbers as (
    select ones.n + 10 * tens.n + 100 * hundreds.n + 1000 * thousands.n + 10000 * tenthousands.n as n
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as tenthousands
),

days as (
    select cast({{ dbt.dateadd('day', 'n', "cast('" ~ var('dates_start') ~ "' as date)") }} as date) as date_day
    from numbers
)

select
    date_day,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end
from days
where date_day <= cast('{{ var("dates_end") }}' as date)
