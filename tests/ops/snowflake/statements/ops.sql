-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG markers:raw.pipeline.markers, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT update_id, target_table, inserted, row_count FROM raw.pipeline.markers;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG ops:invalidate, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ?;

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;
