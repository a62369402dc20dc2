-- Post-process of the write-back of cs.account_health_score (queued by its pg_import post-hook) into
-- staging.account_health_score: the score goes to orgm.account.health_score__c, written only where it differs,
-- and accounts missing from the score table get NULL. The task refuses a score table below [write_back] min_rows,
-- so a broken build cannot wipe the scores in Salesforce.

UPDATE orgm.account AS account
SET health_score__c = score.health_score
FROM staging.account_health_score AS score
WHERE account.sfid = score.account_sfid
  AND account.health_score__c IS DISTINCT FROM score.health_score;

UPDATE orgm.account AS account
SET health_score__c = NULL
WHERE account.health_score__c IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM staging.account_health_score AS score WHERE score.account_sfid = account.sfid);
