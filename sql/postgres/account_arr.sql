-- requires: tasks_filtered
-- Today's ARR of every account with won recurring line items -> orgm.account.arr_current__c, written only where
-- it changed (Heroku Connect pushes each written row to Salesforce).
--
-- The same rule as the warehouse's finance.opportunitylineitem_daily_arr, so Salesforce and the ARR marts agree:
--   * line items of won opportunities with product_type__c = 'Recurring' and end_date__c > start_date__c. Without
--     the Recurring filter, one-off services that span days (e.g. a training) would count as ARR.
--   * a line item's daily ARR is round(365 * totalprice / term days), the term counting start and end days and
--     one day less when it contains a 29 February (a one-year term of price P yields P on every day).
--   * an account's ARR today is the sum over the line items whose term contains today (UTC).
-- Accounts whose terms all ended get 0 (account_type then marks them attrited); accounts that never had a
-- won recurring line item are left alone. Deleted rows (isdeleted) do not count.

CREATE TEMPORARY TABLE line_item_arr ON COMMIT DROP AS
WITH line_items AS (
    SELECT
        opportunity.accountid AS account_sfid,
        line_item.totalprice,
        line_item.start_date__c AS start_date,
        line_item.end_date__c AS end_date
    FROM orgm.opportunitylineitem AS line_item
    JOIN orgm.opportunity AS opportunity
        ON opportunity.sfid = line_item.opportunityid
    WHERE opportunity.iswon
      AND line_item.product_type__c = 'Recurring'
      AND line_item.end_date__c > line_item.start_date__c
      AND NOT coalesce(opportunity.isdeleted, false)
      AND NOT coalesce(line_item.isdeleted, false)
      AND opportunity.accountid IS NOT NULL
)
SELECT
    account_sfid,
    start_date,
    end_date,
    round(
        365 * totalprice / (
            (end_date - start_date + 1)
            - CASE WHEN EXISTS (
                -- the day before 1 March is 29 February in leap years
                SELECT 1
                FROM generate_series(extract(year FROM start_date)::int, extract(year FROM end_date)::int) AS y
                WHERE extract(day FROM make_date(y, 3, 1) - 1) = 29
                  AND make_date(y, 3, 1) - 1 BETWEEN start_date AND end_date
            ) THEN 1 ELSE 0 END
        )
    ) AS daily_arr
FROM line_items;

CREATE TEMPORARY TABLE account_arr_today ON COMMIT DROP AS
SELECT
    account_sfid,
    coalesce(sum(daily_arr) FILTER (WHERE current_date BETWEEN start_date AND end_date), 0) AS arr
FROM line_item_arr
GROUP BY account_sfid;

UPDATE orgm.account AS account
SET arr_current__c = account_arr_today.arr
FROM account_arr_today
WHERE account.sfid = account_arr_today.account_sfid
  AND NOT coalesce(account.isdeleted, false)
  AND account.arr_current__c IS DISTINCT FROM account_arr_today.arr;
