-- The calendar every spine joins to, one row per day. It follows the data: var('dates_start') to var('dates_end')
-- at least, and further, by whole years, when an ARR term (macro arr_term) starts earlier or ends later - with the
-- day before the first term and the two days after the last that the account spines add - so every day of every
-- term is on it, 29 February included. The horizon of arr_term bounds it.
-- Built from digits rather than a generator function so the same SQL runs on every warehouse.

with terms as (
    select min(start_date__c) as first_start, max(end_date__c) as last_end
    from {{ ref('stg_orgm__opportunitylineitem') }}
    where {{ arr_term('start_date__c', 'end_date__c') }}
),

bounds as (
    select
        least(
            cast('{{ var("dates_start") }}' as date),
            coalesce(
                cast({{ dbt.date_trunc('year', dbt.dateadd('day', -1, 'first_start')) }} as date),
                cast('{{ var("dates_start") }}' as date)
            )
        ) as first_day,
        greatest(
            cast('{{ var("dates_end") }}' as date),
            coalesce(
                cast({{ dbt.last_day(dbt.dateadd('day', 2, 'last_end'), 'year') }} as date),
                cast('{{ var("dates_end") }}' as date)
            )
        ) as last_day
    from terms
),

digits as (
    select n from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d (n)
),

-- Up to a million days (2,700 years): more than any horizon needs.
numbers as (
    select
        ones.n + 10 * tens.n + 100 * hundreds.n + 1000 * thousands.n + 10000 * tenthousands.n
            + 100000 * hundredthousands.n as n
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as tenthousands
    cross join digits as hundredthousands
),

days as (
    select cast({{ dbt.dateadd('day', 'numbers.n', 'bounds.first_day') }} as date) as date_day
    from numbers
    cross join bounds
    where numbers.n <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
)

select
    date_day,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end
from days
