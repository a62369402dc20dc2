-- connect transformer: LOCK_TIMEOUT 600, QUERY_TAG luigi:DrainWriteBackQueue:2026-11-25T1300, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role TRANSFORMER, user transformer, warehouse TRANSFORM_XS

-- transformer TRANSFORMER TRANSFORM_XS (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM analytics.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- transformer TRANSFORMER TRANSFORM_XS ()
SELECT source_table, destination_table, post_process_file, max(created_at), count(*) FROM analytics.util.pg_imports WHERE processed_at IS NULL GROUP BY source_table, destination_table, post_process_file ORDER BY min(created_at), source_table, destination_table;

-- transformer TRANSFORMER TRANSFORM_XS (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM analytics.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- transformer TRANSFORMER TRANSFORM_XS ()
SELECT account_sfid, health_score FROM analytics.cs.account_health_score;

-- transformer TRANSFORMER TRANSFORM_XS (datetime, int, str, str, datetime)
UPDATE analytics.util.pg_imports SET processed_at = ?, rows_affected = ? WHERE source_table = ? AND destination_table = ? AND processed_at IS NULL AND (post_process_file IS NULL OR post_process_file = '') AND (created_at IS NULL OR created_at <= ?);

-- transformer TRANSFORMER TRANSFORM_XS (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- transformer TRANSFORMER TRANSFORM_XS ()
BEGIN;

-- transformer TRANSFORMER TRANSFORM_XS (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- transformer TRANSFORMER TRANSFORM_XS (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- transformer TRANSFORMER TRANSFORM_XS ()
COMMIT;
