-- A one-year term of price P contributes P on every day of its term, including terms that contain 29 February
-- (366 days long). A one-year term ends the day before its start's anniversary; a term starting on 29 February
-- ends on 28 February, where the anniversary falls (the day before would make it 365 days with a leap day, which
-- the daily ARR rule counts as 364). Returns the line items that break it.
with one_year_terms as (
    select *
    from {{ ref('opportunitylineitem_daily_arr') }}
    where end_date = case
        when extract(month from start_date) = 2 and extract(day from start_date) = 29
            then cast({{ dbt.dateadd('year', 1, 'start_date') }} as date)
        else cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, 'start_date')) }} as date)
    end
)

select opportunitylineitem_sfid, count(*) as days, min(won_arr) as min_arr, max(won_arr) as max_arr
from one_year_terms
group by opportunitylineitem_sfid, start_date, end_date, totalprice
having count(*) <> {{ dbt.datediff('start_date', 'end_date', 'day') }} + 1
    or min(won_arr) <> round(totalprice, 0)
    or max(won_arr) <> round(totalprice, 0)
