-- requires: account_arr
-- Account type from the ARR account_arr wrote: 'Customer' while it has ARR, 'Customer (Attrited)' once it is 0.
-- Written only where it differs; accounts without an ARR value (never customers) are left alone.

UPDATE orgm.account
SET type = CASE WHEN arr_current__c > 0 THEN 'Customer' ELSE 'Customer (Attrited)' END
WHERE arr_current__c >= 0
  AND NOT coalesce(isdeleted, false)
  AND type IS DISTINCT FROM CASE WHEN arr_current__c > 0 THEN 'Customer' ELSE 'Customer (Attrited)' END;
