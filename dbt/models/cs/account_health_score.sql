{{ config(
    post_hook="{{ pg_import('staging.account_health_score', 'pg_update_account_health_score.sql') }}",
) }}
-- depends_on: {{ ref('pg_imports') }}
-- Health score (0-100) of each account with ARR on the run date: the mean of three factors (tenure, time to the
-- end of its current terms, recency of the last sales task), capped by an open renewal's risk status.
-- There is no Zendesk ticket factor: Zendesk is not loaded into this warehouse.

with arr as (
    select
        account_sfid,
        master_account_sfid,
        min(case when total_arr > 0 then day end) as license_start_date,
        max(case when total_arr > 0 then day end) as license_end_date,
        max(case when day = {{ run_date() }} then total_arr end) as current_arr
    from {{ ref('account_daily_arr') }}
    group by account_sfid, master_account_sfid
),

tasks as (
    select
        task.accountid as account_sfid,
        max(coalesce(task.activitydate, cast(task.createddate as date))) as last_task_date
    from {{ ref('stg_orgm__task') }} as task
    left join {{ ref('stg_orgm__user') }} as creator
        on creator.sfid = task.createdbyid
    -- Tasks the Marketo integration creates say nothing about customer contact.
    where coalesce(creator.lastname, '') <> 'Marketo'
      and coalesce(task.activitydate, cast(task.createddate as date)) <= {{ run_date() }}
    group by task.accountid
),

risk as (
    select
        accountid as account_sfid,
        max(case when renewal_risk_status__c = 'At Risk' then 2 when renewal_risk_status__c = 'Early Warning' then 1 else 0 end)
            as risk_level
    from {{ ref('stg_orgm__opportunity') }}
    where not isclosed
    group by accountid
),

facts as (
    select
        arr.account_sfid,
        arr.master_account_sfid,
        arr.current_arr,
        arr.license_start_date,
        arr.license_end_date,
        {{ dbt.datediff('arr.license_start_date', run_date(), 'day') }} / 365.0 as tenure_years,
        {{ dbt.datediff(run_date(), 'arr.license_end_date', 'day') }} as days_to_license_end,
        {{ dbt.datediff('tasks.last_task_date', run_date(), 'day') }} as days_since_last_task,
        coalesce(risk.risk_level, 0) as risk_level
    from arr
    left join tasks on tasks.account_sfid = arr.account_sfid
    left join risk on risk.account_sfid = arr.account_sfid
    where arr.current_arr > 0
),

factors as (
    select
        *,
        case
            when tenure_years <= 0.5 then 0.25
            when tenure_years <= 1 then 0.50
            when tenure_years <= 2 then 0.75
            else 0.90
        end as tenure_factor,
        case
            when days_to_license_end <= 15 then 0.10
            when days_to_license_end <= 30 then 0.25
            when days_to_license_end <= 60 then 0.75
            when days_to_license_end <= 90 then 0.90
            else 1.00
        end as license_end_factor,
        case
            when days_since_last_task is null or days_since_last_task >= 90 then 0.25
            when days_since_last_task >= 60 then 0.50
            when days_since_last_task >= 30 then 0.75
            else 1.00
        end as task_factor
    from facts
),

scored as (
    select
        *,
        cast(round(100 * (tenure_factor + license_end_factor + task_factor) / 3, 0) as integer)
            as health_score_no_override
    from factors
)

select
    account_sfid,
    master_account_sfid,
    current_arr,
    license_start_date,
    license_end_date,
    tenure_years,
    days_to_license_end,
    days_since_last_task,
    tenure_factor,
    license_end_factor,
    task_factor,
    case risk_level when 2 then 'At Risk' when 1 then 'Early Warning' end as renewal_risk_status,
    health_score_no_override,
    case
        when risk_level = 2 then least(health_score_no_override, 25)
        when risk_level = 1 then least(health_score_no_override, 50)
        else health_score_no_override
    end as health_score
from scored
