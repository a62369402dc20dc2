-- requires: opportunitylineitem_snapshot
-- Re-queue Heroku Connect write-backs that Salesforce refused only because the record was locked (row-lock
-- contention): state FAILED -> NEW, so Heroku Connect pushes them again. Runs last, after the scripts that write
-- orgm. Other failures (validation, Apex triggers) stay FAILED for a person to look at.

UPDATE orgm._trigger_log
SET state = 'NEW'
WHERE state = 'FAILED'
  AND sf_message LIKE 'unable to obtain exclusive access%';
