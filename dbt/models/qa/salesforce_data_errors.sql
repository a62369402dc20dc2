{{ config(materialized='table') }}
-- Salesforce records that break the assumptions of the ARR and health models, one row per record and check.
-- Fix them in Salesforce; a warning-level test reports when this table is not empty.

with accounts as (
    select * from {{ ref('stg_orgm__account') }}
),

opportunities as (
    select * from {{ ref('stg_orgm__opportunity') }}
),

line_items as (
    select * from {{ ref('stg_orgm__opportunitylineitem') }}
),

-- A parent account is a customer through its children's ARR.
current_arr as (
    select sfid, max(total_arr) as total_arr
    from (
        select account_sfid as sfid, total_arr
        from {{ ref('account_daily_arr') }}
        where day = {{ run_date() }}
        union all
        select master_account_sfid, total_arr
        from {{ ref('master_account_daily_arr') }}
        where day = {{ run_date() }}
    ) as arr
    group by sfid
)

select 'line item without term dates' as error_type, 'opportunitylineitem' as object_name,
    line_items.sfid, line_items.systemmodstamp, line_items.createddate
from line_items
join opportunities on opportunities.sfid = line_items.opportunityid
where opportunities.iswon
  and line_items.product_type__c = 'Recurring'
  and (line_items.start_date__c is null or line_items.end_date__c is null)

union all

select 'line item ends before it starts', 'opportunitylineitem',
    sfid, systemmodstamp, createddate
from line_items
where end_date__c < start_date__c

union all

-- A date that far from today is a typo (2204 for 2024); ARR leaves the line item out (macro arr_term).
select 'line item starts before the horizon', 'opportunitylineitem',
    sfid, systemmodstamp, createddate
from line_items
where start_date__c < {{ arr_horizon('start') }}

union all

select 'line item ends past the horizon', 'opportunitylineitem',
    sfid, systemmodstamp, createddate
from line_items
where end_date__c > {{ arr_horizon('end') }}

union all

select 'line item without opportunity', 'opportunitylineitem',
    line_items.sfid, line_items.systemmodstamp, line_items.createddate
from line_items
left join opportunities on opportunities.sfid = line_items.opportunityid
where opportunities.sfid is null

union all

select 'won opportunity without line items', 'opportunity',
    opportunities.sfid, opportunities.systemmodstamp, opportunities.createddate
from opportunities
where opportunities.iswon
  and not exists (select 1 from line_items where line_items.opportunityid = opportunities.sfid)

union all

select 'opportunity without account', 'opportunity',
    opportunities.sfid, opportunities.systemmodstamp, opportunities.createddate
from opportunities
left join accounts on accounts.sfid = opportunities.accountid
where accounts.sfid is null

union all

select 'parent account missing', 'account',
    accounts.sfid, accounts.systemmodstamp, accounts.createddate
from accounts
left join accounts as parent on parent.sfid = accounts.parentid
where accounts.parentid is not null
  and parent.sfid is null

union all

select 'account type disagrees with ARR', 'account',
    accounts.sfid, accounts.systemmodstamp, accounts.createddate
from accounts
left join current_arr on current_arr.sfid = accounts.sfid
where (accounts.type = 'Customer' and coalesce(current_arr.total_arr, 0) = 0)
   or (accounts.type = 'Customer (Attrited)' and current_arr.total_arr > 0)

union all

select 'contact without valid email', 'contact',
    sfid, systemmodstamp, createddate
from {{ ref('stg_orgm__contact') }}
where email is null or email not like '%_@_%._%'
