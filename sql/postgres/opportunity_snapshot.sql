-- requires: account_type
-- Daily snapshot of the opportunities (pipeline history): today's rows are replaced, earlier days kept.

CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.opportunity_snapshot (
    snapshot_date date NOT NULL,
    sfid varchar(18) NOT NULL,
    name varchar,
    accountid varchar(18),
    ownerid varchar(18),
    type varchar,
    stagename varchar,
    closedate date,
    iswon boolean,
    isclosed boolean,
    probability numeric(18,2),
    forecastcategoryname varchar,
    amount numeric(18,2),
    expectedrevenue numeric(18,2),
    arr_contributed__c numeric(18,2),
    renewal_risk_status__c varchar,
    PRIMARY KEY (snapshot_date, sfid)
);

DELETE FROM staging.opportunity_snapshot WHERE snapshot_date = current_date;

INSERT INTO staging.opportunity_snapshot (
    snapshot_date, sfid, name, accountid, ownerid, type, stagename, closedate, iswon, isclosed, probability,
    forecastcategoryname, amount, expectedrevenue, arr_contributed__c, renewal_risk_status__c
)
SELECT
    current_date,
    sfid,
    name,
    accountid,
    ownerid,
    type,
    stagename,
    closedate,
    iswon,
    isclosed,
    probability,
    forecastcategoryname,
    amount,
    expectedrevenue,
    arr_contributed__c,
    renewal_risk_status__c
FROM orgm.opportunity
WHERE sfid IS NOT NULL
  AND NOT coalesce(isdeleted, false);
