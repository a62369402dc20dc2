-- requires: opportunity_snapshot
-- Daily snapshot of the opportunity line items: today's rows are replaced, earlier days kept. Both the INSERT and
-- the SELECT list their columns, so a missing comma in the SELECT (end_date__c arr_contributed__c, an alias of
-- one column as the next) fails on the column count instead of silently dropping a column.

CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.opportunitylineitem_snapshot (
    snapshot_date date NOT NULL,
    sfid varchar(18) NOT NULL,
    name varchar,
    opportunityid varchar(18),
    product2id varchar(18),
    product_type__c varchar,
    product_line_type__c varchar,
    revenue_type__c varchar,
    listprice numeric(18,2),
    unitprice numeric(18,2),
    discount numeric(18,2),
    quantity numeric(18,2),
    totalprice numeric(18,2),
    start_date__c date,
    end_date__c date,
    arr_contributed__c numeric(18,2),
    PRIMARY KEY (snapshot_date, sfid)
);

DELETE FROM staging.opportunitylineitem_snapshot WHERE snapshot_date = current_date;

INSERT INTO staging.opportunitylineitem_snapshot (
    snapshot_date, sfid, name, opportunityid, product2id, product_type__c, product_line_type__c, revenue_type__c,
    listprice, unitprice, discount, quantity, totalprice, start_date__c, end_date__c, arr_contributed__c
)
SELECT
    current_date,
    sfid,
    name,
    opportunityid,
    product2id,
    product_type__c,
    product_line_type__c,
    revenue_type__c,
    listprice,
    unitprice,
    discount,
    quantity,
    totalprice,
    start_date__c,
    end_date__c,
    arr_contributed__c
FROM orgm.opportunitylineitem
WHERE sfid IS NOT NULL
  AND NOT coalesce(isdeleted, false);
