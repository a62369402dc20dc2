{{ config(severity='warn') }}
-- Salesforce hygiene: warns while qa.salesforce_data_errors lists records to fix.
select * from {{ ref('salesforce_data_errors') }}
