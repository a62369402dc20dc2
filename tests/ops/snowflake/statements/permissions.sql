-- connect permission_bot: LOCK_TIMEOUT 600, QUERY_TAG luigi:ApplyPermissions:2024-03-04, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role PERMISSION_BOT, user permission_bot, warehouse analyst_xs

-- permission_bot PERMISSION_BOT ANALYST_XS (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- permission_bot PERMISSION_BOT ANALYST_XS ()
BEGIN;

-- permission_bot PERMISSION_BOT ANALYST_XS (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- permission_bot PERMISSION_BOT ANALYST_XS (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- permission_bot PERMISSION_BOT ANALYST_XS ()
COMMIT;
