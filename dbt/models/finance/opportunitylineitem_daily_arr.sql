-- Daily ARR of each won recurring line item over its term, start and end days included.
-- A term that contains 29 February has one day less in the denominator, so a one-year term of price P
-- yields P on every day whether or not it crosses a leap day. Rounded to a whole currency unit.
-- Only plausible terms count (macro arr_term: an end after the start, both dates within var('arr_horizon_years')
-- of the run date); the others are data errors (qa.salesforce_data_errors), kept out so that one typo cannot
-- distort or stop the ARR marts. util.dates covers every plausible term, leap days included.

with line_items as (
    select
        line_item.sfid as opportunitylineitem_sfid,
        opportunity.sfid as opportunity_sfid,
        opportunity.accountid as account_sfid,
        coalesce(parent.sfid, account.sfid) as master_account_sfid,
        line_item.start_date__c as start_date,
        line_item.end_date__c as end_date,
        line_item.totalprice
    from {{ ref('stg_orgm__opportunitylineitem') }} as line_item
    join {{ ref('stg_orgm__opportunity') }} as opportunity
        on opportunity.sfid = line_item.opportunityid
    -- Opportunities of deleted accounts have nowhere to write ARR back; salesforce_data_errors lists them.
    join {{ ref('stg_orgm__account') }} as account
        on account.sfid = opportunity.accountid
    left join {{ ref('stg_orgm__account') }} as parent
        on parent.sfid = account.parentid
    where opportunity.iswon
      and line_item.product_type__c = 'Recurring'
      and {{ arr_term('line_item.start_date__c', 'line_item.end_date__c') }}
),

days as (
    select
        line_items.*,
        dates.date_day as day,
        extract(month from dates.date_day) = 2 and extract(day from dates.date_day) = 29 as is_leap_day
    from line_items
    join {{ ref('dates') }} as dates
        on dates.date_day between line_items.start_date and line_items.end_date
),

terms as (
    select
        opportunitylineitem_sfid,
        {{ dbt.datediff('min(start_date)', 'min(end_date)', 'day') }} + 1
            - max(case when is_leap_day then 1 else 0 end)
            as arr_days
    from days
    group by opportunitylineitem_sfid
)

select
    days.opportunitylineitem_sfid,
    days.opportunity_sfid,
    days.account_sfid,
    days.master_account_sfid,
    days.day,
    days.start_date,
    days.end_date,
    days.totalprice,
    cast(round(365 * days.totalprice / terms.arr_days, 0) as {{ dbt.type_bigint() }}) as won_arr
from days
join terms on terms.opportunitylineitem_sfid = days.opportunitylineitem_sfid
