-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG ops:reset:contact, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING ()
DELETE FROM raw.orgm.contact;

-- loader LOADER LOADING ()
PUT 'file:///TMP/contact_0.csv' @raw.pipeline.uploads/load_TOKEN/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4;

-- loader LOADER LOADING ()
COPY INTO raw.orgm.contact (id, sfid, email, accountid, systemmodstamp, createddate, isdeleted, _hc_lastop, _hc_err) FROM @raw.pipeline.uploads/load_TOKEN/ FILE_FORMAT = (TYPE = CSV COMPRESSION = GZIP FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()) ON_ERROR = ABORT_STATEMENT PURGE = TRUE;

-- loader LOADER LOADING ()
SELECT max(systemmodstamp) FROM raw.orgm.contact;

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str, datetime, str, int, int, int, datetime, datetime, int)
INSERT INTO raw.pipeline.replication_state (table_name, bookmark, column_list, rows_extracted, rows_upserted, rows_deleted, full_load_at, updated_at, merges_since_compaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG t, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING ()
CREATE TRANSIENT TABLE raw.orgm._scratch_contact_TOKEN (id NUMBER(38,0), sfid VARCHAR, email VARCHAR, accountid VARCHAR, systemmodstamp TIMESTAMP_NTZ, createddate TIMESTAMP_NTZ, isdeleted BOOLEAN, _hc_lastop VARCHAR, _hc_err VARCHAR) DATA_RETENTION_TIME_IN_DAYS = 0;

-- loader LOADER LOADING ()
PUT 'file:///TMP/contact_0.csv' @raw.pipeline.uploads/load_TOKEN/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4;

-- loader LOADER LOADING ()
COPY INTO raw.orgm._scratch_contact_TOKEN (id, sfid, email, accountid, systemmodstamp, createddate, isdeleted, _hc_lastop, _hc_err) FROM @raw.pipeline.uploads/load_TOKEN/ FILE_FORMAT = (TYPE = CSV COMPRESSION = GZIP FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()) ON_ERROR = ABORT_STATEMENT PURGE = TRUE;

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING ()
SELECT max(systemmodstamp) FROM raw.orgm._scratch_contact_TOKEN;

-- loader LOADER LOADING (datetime, datetime)
DELETE FROM raw.orgm._scratch_contact_TOKEN WHERE sfid IN (SELECT s.sfid FROM raw.orgm._scratch_contact_TOKEN s JOIN raw.orgm.contact t ON t.sfid = s.sfid AND t.systemmodstamp = s.systemmodstamp WHERE s.systemmodstamp <= ? AND t.systemmodstamp >= ?);

-- loader LOADER LOADING ()
SELECT count(*) FROM raw.orgm._scratch_contact_TOKEN WHERE isdeleted AND sfid IN (SELECT sfid FROM raw.orgm.contact);

-- loader LOADER LOADING ()
DELETE FROM raw.orgm.contact WHERE sfid IN (SELECT sfid FROM raw.orgm._scratch_contact_TOKEN);

-- loader LOADER LOADING ()
INSERT INTO raw.orgm.contact (id, sfid, email, accountid, systemmodstamp, createddate, isdeleted, _hc_lastop, _hc_err) SELECT id, sfid, email, accountid, systemmodstamp, createddate, isdeleted, _hc_lastop, _hc_err FROM raw.orgm._scratch_contact_TOKEN WHERE NOT coalesce(isdeleted, false);

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str, datetime, str, int, int, int, datetime, datetime, int)
INSERT INTO raw.pipeline.replication_state (table_name, bookmark, column_list, rows_extracted, rows_upserted, rows_deleted, full_load_at, updated_at, merges_since_compaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING ()
DROP TABLE IF EXISTS raw.orgm._scratch_contact_TOKEN;

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING ()
CREATE TABLE IF NOT EXISTS raw.orgm.user (id NUMBER(38,0), sfid VARCHAR, lastname VARCHAR, email VARCHAR, system_type__c VARCHAR, systemmodstamp TIMESTAMP_NTZ, createddate TIMESTAMP_NTZ, isdeleted BOOLEAN, _hc_lastop VARCHAR, _hc_err VARCHAR);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING ()
DELETE FROM raw.orgm.user;

-- loader LOADER LOADING ()
PUT 'file:///TMP/user_0.csv' @raw.pipeline.uploads/load_TOKEN/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4;

-- loader LOADER LOADING ()
COPY INTO raw.orgm.user (id, sfid, lastname, email, system_type__c, systemmodstamp, createddate, isdeleted, _hc_lastop, _hc_err) FROM @raw.pipeline.uploads/load_TOKEN/ FILE_FORMAT = (TYPE = CSV COMPRESSION = GZIP FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()) ON_ERROR = ABORT_STATEMENT PURGE = TRUE;

-- loader LOADER LOADING ()
SELECT max(systemmodstamp) FROM raw.orgm.user;

-- loader LOADER LOADING (str)
SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.replication_state WHERE table_name = ?;

-- loader LOADER LOADING (str, datetime, str, int, int, int, datetime, datetime, int)
INSERT INTO raw.pipeline.replication_state (table_name, bookmark, column_list, rows_extracted, rows_upserted, rows_deleted, full_load_at, updated_at, merges_since_compaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG ops:replication-status, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT table_name, bookmark, full_load_at, updated_at FROM raw.pipeline.replication_state ORDER BY 1;
