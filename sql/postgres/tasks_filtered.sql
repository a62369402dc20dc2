-- Sales tasks without the Marketo integration's e-mail activity, mirrored from orgm.task.
-- Upsert: rows of new sfids are inserted and rows whose systemmodstamp differs are updated. Tasks that left
-- orgm.task, were deleted in Salesforce (isdeleted) or are Marketo's are removed.
-- Idempotent: a second run inserts, updates and deletes nothing.

CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.tasks_filtered (
    sfid varchar(18) PRIMARY KEY,
    accountid varchar(18),
    whoid varchar(18),
    whatid varchar(18),
    ownerid varchar(18),
    createdbyid varchar(18),
    subject varchar,
    status varchar,
    priority varchar,
    type varchar,
    tasksubtype varchar,
    activitydate date,
    description varchar,
    isclosed boolean,
    createddate timestamp,
    systemmodstamp timestamp
);

CREATE TEMPORARY TABLE source_tasks ON COMMIT DROP AS
SELECT
    task.sfid, task.accountid, task.whoid, task.whatid, task.ownerid, task.createdbyid, task.subject,
    task.status, task.priority, task.type, task.tasksubtype, task.activitydate, task.description, task.isclosed,
    task.createddate, task.systemmodstamp
FROM orgm.task AS task
WHERE task.sfid IS NOT NULL
  AND NOT coalesce(task.isdeleted, false)
  AND NOT EXISTS (
      SELECT 1
      FROM orgm."user" AS creator
      WHERE creator.sfid = task.createdbyid
        AND creator.lastname = 'Marketo'
  );

DELETE FROM staging.tasks_filtered AS kept
WHERE NOT EXISTS (SELECT 1 FROM source_tasks WHERE source_tasks.sfid = kept.sfid);

UPDATE staging.tasks_filtered AS kept
SET accountid = source_tasks.accountid,
    whoid = source_tasks.whoid,
    whatid = source_tasks.whatid,
    ownerid = source_tasks.ownerid,
    createdbyid = source_tasks.createdbyid,
    subject = source_tasks.subject,
    status = source_tasks.status,
    priority = source_tasks.priority,
    type = source_tasks.type,
    tasksubtype = source_tasks.tasksubtype,
    activitydate = source_tasks.activitydate,
    description = source_tasks.description,
    isclosed = source_tasks.isclosed,
    createddate = source_tasks.createddate,
    systemmodstamp = source_tasks.systemmodstamp
FROM source_tasks
WHERE source_tasks.sfid = kept.sfid
  AND source_tasks.systemmodstamp IS DISTINCT FROM kept.systemmodstamp;

INSERT INTO staging.tasks_filtered (
    sfid, accountid, whoid, whatid, ownerid, createdbyid, subject, status, priority, type, tasksubtype,
    activitydate, description, isclosed, createddate, systemmodstamp
)
SELECT
    sfid, accountid, whoid, whatid, ownerid, createdbyid, subject, status, priority, type, tasksubtype,
    activitydate, description, isclosed, createddate, systemmodstamp
FROM source_tasks
WHERE NOT EXISTS (SELECT 1 FROM staging.tasks_filtered AS kept WHERE kept.sfid = source_tasks.sfid);
