-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG markers:raw.pipeline.markers, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT update_id, target_table, inserted, row_count FROM raw.pipeline.markers;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadSecurityCheckLogs:2024-03-04, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str, str, str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.diagnostics.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status, creferrer, useragent, cs_uri_query, cookie, x_edge_result_type, x_edge_request_id, x_host_header, protocol, cs_bytes, time_taken, x_forwarded_for, ssl_protocol, ssl_cipher, x_edge_response_result_type, cs_protocol_version, file_status, file_encrypted_fields, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER + 2, CURRENT_TIMESTAMP() FROM @raw.diagnostics.diagnostics_stage)
FILES = ('ESECCHECKONE01/ESECCHECKONE01.2024-03-04-12.LBBC6GN1497.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-04-14.UYNGJ9W3JXA.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-04-22.2YLUW012DCZ.gz', 'ESECCHECKTWO02/ESECCHECKTWO02.2024-03-04-03.DZJ1UXK765S.gz', 'ESECCHECKTWO02/ESECCHECKTWO02.2024-03-04-17.ZJZEQ8D6CNW.gz')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT _file, _row, COALESCE(logdate, '') || COALESCE('	' || logtime, '') || COALESCE('	' || edge, '') || COALESCE('	' || bytessent, '') || COALESCE('	' || cip, '') || COALESCE('	' || method, '') || COALESCE('	' || host, '') || COALESCE('	' || uri, '') || COALESCE('	' || status, '') || COALESCE('	' || creferrer, '') || COALESCE('	' || useragent, '') || COALESCE('	' || cs_uri_query, '') || COALESCE('	' || cookie, '') || COALESCE('	' || x_edge_result_type, '') || COALESCE('	' || x_edge_request_id, '') || COALESCE('	' || x_host_header, '') || COALESCE('	' || protocol, '') || COALESCE('	' || cs_bytes, '') || COALESCE('	' || time_taken, '') || COALESCE('	' || x_forwarded_for, '') || COALESCE('	' || ssl_protocol, '') || COALESCE('	' || ssl_cipher, '') || COALESCE('	' || x_edge_response_result_type, '') || COALESCE('	' || cs_protocol_version, '') || COALESCE('	' || file_status, '') || COALESCE('	' || file_encrypted_fields, ''), CASE WHEN file_encrypted_fields IS NULL THEN 'MISSING FIELDS: expected 26 fields' WHEN TRY_CAST(logdate AS DATE) IS NULL THEN 'BAD VALUE: logdate is not a DATE' WHEN TRY_CAST(logtime AS TIME) IS NULL THEN 'BAD VALUE: logtime is not a TIME' WHEN TRY_CAST(bytessent AS BIGINT) IS NULL THEN 'BAD VALUE: bytessent is not a BIGINT' WHEN TRY_CAST(status AS BIGINT) IS NULL THEN 'BAD VALUE: status is not a BIGINT' WHEN TRY_CAST(cs_bytes AS BIGINT) IS NULL THEN 'BAD VALUE: cs_bytes is not a BIGINT' WHEN TRY_CAST(time_taken AS DOUBLE) IS NULL THEN 'BAD VALUE: time_taken is not a DOUBLE' END FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str, str, str, str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadLicenses:2024-03-04, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str)
DELETE FROM raw.licenses.licenses WHERE _file IN (?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.licenses.licenses (customerid, company, number, email, stripeid, licenseid, issuedat, expiresat, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, CURRENT_TIMESTAMP() FROM @raw.licenses.licenses_stage)
FILES = ('2024-03-04/licenses-2024-03-04.csv')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.license_csv')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str)
SELECT _file, _row, COALESCE(customerid, '') || COALESCE(',' || company, '') || COALESCE(',' || number, '') || COALESCE(',' || email, '') || COALESCE(',' || stripeid, '') || COALESCE(',' || licenseid, '') || COALESCE(',' || issuedat, '') || COALESCE(',' || expiresat, ''), CASE WHEN expiresat IS NULL THEN 'MISSING FIELDS: expected 8 fields, every quote closed' WHEN TRY_CAST(issuedat AS BIGINT) IS NULL THEN 'BAD VALUE: issuedat is not a BIGINT' WHEN TRY_CAST(expiresat AS BIGINT) IS NULL THEN 'BAD VALUE: expiresat is not a BIGINT' END FROM raw.licenses.licenses WHERE _file IN (?, ?, ?) AND (expiresat IS NULL OR TRY_CAST(issuedat AS BIGINT) IS NULL OR TRY_CAST(expiresat AS BIGINT) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str)
DELETE FROM raw.licenses.licenses WHERE _file IN (?, ?, ?) AND (expiresat IS NULL OR TRY_CAST(issuedat AS BIGINT) IS NULL OR TRY_CAST(expiresat AS BIGINT) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadPushProxyLogs:2024-03-04, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.push_proxy.logs WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.push_proxy.logs (type, requesttime, elb, client_and_port, target_and_port, request_processing_time, target_processing_time, response_processing_time, elb_status_code, target_status_code, received_bytes, sent_bytes, request, user_agent, ssl_cipher, ssl_protocol, target_group_arn, trace_id, domain_name, chosen_cert_arn, matched_rule_priority, request_creation_time, actions_executed, dash1, dash2, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, CURRENT_TIMESTAMP() FROM @raw.push_proxy.push_proxy_stage)
FILES = ('AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T0655Z_52.4.17.201_nvaeksog.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T0755Z_52.4.17.201_kd7sha2n.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T1055Z_34.196.88.12_spe22yo7.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T1355Z_34.196.88.12_abipgb46.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T1555Z_52.4.17.201_5cg93ahe.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T2055Z_34.196.88.12_enu2z2pk.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T2055Z_52.4.17.201_1rk6h11p.log.gz', 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/03/04/111122223333_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_20240304T2255Z_34.196.88.12_1h1jtlcw.log.gz')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.alb_log')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT _file, _row, COALESCE(type, '') || COALESCE(' ' || requesttime, '') || COALESCE(' ' || elb, '') || COALESCE(' ' || client_and_port, '') || COALESCE(' ' || target_and_port, '') || COALESCE(' ' || request_processing_time, '') || COALESCE(' ' || target_processing_time, '') || COALESCE(' ' || response_processing_time, '') || COALESCE(' ' || elb_status_code, '') || COALESCE(' ' || target_status_code, '') || COALESCE(' ' || received_bytes, '') || COALESCE(' ' || sent_bytes, '') || COALESCE(' ' || request, '') || COALESCE(' ' || user_agent, '') || COALESCE(' ' || ssl_cipher, '') || COALESCE(' ' || ssl_protocol, '') || COALESCE(' ' || target_group_arn, '') || COALESCE(' ' || trace_id, '') || COALESCE(' ' || domain_name, '') || COALESCE(' ' || chosen_cert_arn, '') || COALESCE(' ' || matched_rule_priority, '') || COALESCE(' ' || request_creation_time, '') || COALESCE(' ' || actions_executed, '') || COALESCE(' ' || dash1, '') || COALESCE(' ' || dash2, ''), CASE WHEN dash2 IS NULL THEN 'MISSING FIELDS: expected 25 fields, every quote closed' WHEN TRY_CAST(REPLACE(REPLACE(requesttime, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL THEN 'BAD VALUE: requesttime is not a TIMESTAMP' WHEN TRY_CAST(request_processing_time AS DOUBLE) IS NULL THEN 'BAD VALUE: request_processing_time is not a DOUBLE' WHEN TRY_CAST(target_processing_time AS DOUBLE) IS NULL THEN 'BAD VALUE: target_processing_time is not a DOUBLE' WHEN TRY_CAST(response_processing_time AS DOUBLE) IS NULL THEN 'BAD VALUE: response_processing_time is not a DOUBLE' WHEN (elb_status_code <> '-' AND TRY_CAST(elb_status_code AS BIGINT) IS NULL) THEN 'BAD VALUE: elb_status_code is not a BIGINT' WHEN (target_status_code <> '-' AND TRY_CAST(target_status_code AS BIGINT) IS NULL) THEN 'BAD VALUE: target_status_code is not a BIGINT' WHEN (received_bytes <> '-' AND TRY_CAST(received_bytes AS BIGINT) IS NULL) THEN 'BAD VALUE: received_bytes is not a BIGINT' WHEN (sent_bytes <> '-' AND TRY_CAST(sent_bytes AS BIGINT) IS NULL) THEN 'BAD VALUE: sent_bytes is not a BIGINT' WHEN TRY_CAST(REPLACE(REPLACE(request_creation_time, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL THEN 'BAD VALUE: request_creation_time is not a TIMESTAMP' END FROM raw.push_proxy.logs WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (dash2 IS NULL OR TRY_CAST(REPLACE(REPLACE(requesttime, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL OR TRY_CAST(request_processing_time AS DOUBLE) IS NULL OR TRY_CAST(target_processing_time AS DOUBLE) IS NULL OR TRY_CAST(response_processing_time AS DOUBLE) IS NULL OR (elb_status_code <> '-' AND TRY_CAST(elb_status_code AS BIGINT) IS NULL) OR (target_status_code <> '-' AND TRY_CAST(target_status_code AS BIGINT) IS NULL) OR (received_bytes <> '-' AND TRY_CAST(received_bytes AS BIGINT) IS NULL) OR (sent_bytes <> '-' AND TRY_CAST(sent_bytes AS BIGINT) IS NULL) OR TRY_CAST(REPLACE(REPLACE(request_creation_time, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.push_proxy.logs WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (dash2 IS NULL OR TRY_CAST(REPLACE(REPLACE(requesttime, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL OR TRY_CAST(request_processing_time AS DOUBLE) IS NULL OR TRY_CAST(target_processing_time AS DOUBLE) IS NULL OR TRY_CAST(response_processing_time AS DOUBLE) IS NULL OR (elb_status_code <> '-' AND TRY_CAST(elb_status_code AS BIGINT) IS NULL) OR (target_status_code <> '-' AND TRY_CAST(target_status_code AS BIGINT) IS NULL) OR (received_bytes <> '-' AND TRY_CAST(received_bytes AS BIGINT) IS NULL) OR (sent_bytes <> '-' AND TRY_CAST(sent_bytes AS BIGINT) IS NULL) OR TRY_CAST(REPLACE(REPLACE(request_creation_time, 'T', ' '), 'Z', '') AS TIMESTAMP) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG markers:raw.pipeline.markers, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT update_id, target_table, inserted, row_count FROM raw.pipeline.markers;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadReleaseLogs:2024-03-04..2024-03-05, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.releases.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.releases.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status, creferrer, useragent, cs_uri_query, cookie, x_edge_result_type, x_edge_request_id, x_host_header, protocol, cs_bytes, time_taken, x_forwarded_for, ssl_protocol, ssl_cipher, x_edge_response_result_type, cs_protocol_version, file_status, file_encrypted_fields, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER + 2, CURRENT_TIMESTAMP() FROM @raw.releases.releases_stage)
FILES = ('ERELEASES00001/ERELEASES00001.2024-03-04-00.QPB89THA6WN.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-01.IKNS0ZODVL6.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-02.OUECW38ORSD.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-03.ZP0IYFFHI7W.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-05.99W4ES8E1N9.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-06.FKMS34XOY6R.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-08.2Q3RDAEI9TX.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-09.Z4NCKPMWI7C.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-13.78209KVJOOA.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-14.F6PR1PRKZ7K.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-15.7HSBUYV9Z82.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-17.S7ZXQZYCQLZ.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-18.P7D1PE8SFQ3.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-20.CWKSI0GB7UU.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-22.864B1XFSWPQ.gz', 'ERELEASES00001/ERELEASES00001.2024-03-04-23.M3J4Q4W3STD.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-02.GSUIQM7X9W9.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-05.SNSLHE898JL.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-06.QJ8V97E229A.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-07.C7B9SSCV73Q.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-08.RM837BNDDVU.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-09.9SHR3C8DPAG.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-10.94VVDAH78OP.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-11.1ZAIRILSMR2.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-12.FEW4SBVCYWJ.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-13.4DVAK3DC8NH.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-14.K0HL0VYBBOG.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-15.W9YIBK2TLVA.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-16.3FCEJ0TB5SV.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-17.560HOWJ02P7.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-19.3Y0RDZL5NIP.gz', 'ERELEASES00001/ERELEASES00001.2024-03-05-20.E86P4OPZWU1.gz')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT _file, _row, COALESCE(logdate, '') || COALESCE('	' || logtime, '') || COALESCE('	' || edge, '') || COALESCE('	' || bytessent, '') || COALESCE('	' || cip, '') || COALESCE('	' || method, '') || COALESCE('	' || host, '') || COALESCE('	' || uri, '') || COALESCE('	' || status, '') || COALESCE('	' || creferrer, '') || COALESCE('	' || useragent, '') || COALESCE('	' || cs_uri_query, '') || COALESCE('	' || cookie, '') || COALESCE('	' || x_edge_result_type, '') || COALESCE('	' || x_edge_request_id, '') || COALESCE('	' || x_host_header, '') || COALESCE('	' || protocol, '') || COALESCE('	' || cs_bytes, '') || COALESCE('	' || time_taken, '') || COALESCE('	' || x_forwarded_for, '') || COALESCE('	' || ssl_protocol, '') || COALESCE('	' || ssl_cipher, '') || COALESCE('	' || x_edge_response_result_type, '') || COALESCE('	' || cs_protocol_version, '') || COALESCE('	' || file_status, '') || COALESCE('	' || file_encrypted_fields, ''), CASE WHEN file_encrypted_fields IS NULL THEN 'MISSING FIELDS: expected 26 fields' WHEN TRY_CAST(logdate AS DATE) IS NULL THEN 'BAD VALUE: logdate is not a DATE' WHEN TRY_CAST(logtime AS TIME) IS NULL THEN 'BAD VALUE: logtime is not a TIME' WHEN TRY_CAST(bytessent AS BIGINT) IS NULL THEN 'BAD VALUE: bytessent is not a BIGINT' WHEN TRY_CAST(status AS BIGINT) IS NULL THEN 'BAD VALUE: status is not a BIGINT' WHEN TRY_CAST(cs_bytes AS BIGINT) IS NULL THEN 'BAD VALUE: cs_bytes is not a BIGINT' WHEN TRY_CAST(time_taken AS DOUBLE) IS NULL THEN 'BAD VALUE: time_taken is not a DOUBLE' END FROM raw.releases.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.releases.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING x2 (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str, str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?, ?);

-- loader LOADER LOADING (str, str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?, ?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG markers:raw.pipeline.markers, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT update_id, target_table, inserted, row_count FROM raw.pipeline.markers;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadSecurityCheckLogs:2024-03-05, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str, str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.diagnostics.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status, creferrer, useragent, cs_uri_query, cookie, x_edge_result_type, x_edge_request_id, x_host_header, protocol, cs_bytes, time_taken, x_forwarded_for, ssl_protocol, ssl_cipher, x_edge_response_result_type, cs_protocol_version, file_status, file_encrypted_fields, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER + 2, CURRENT_TIMESTAMP() FROM @raw.diagnostics.diagnostics_stage)
FILES = ('ESECCHECKONE01/ESECCHECKONE01.2024-03-05-12.I3QEJUSDRP3.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-05-12.LQQY6SNWUBO.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-05-22.XX60KO1BR79.gz', 'ESECCHECKTWO02/ESECCHECKTWO02.2024-03-05-03.GY3D5K7SOGI.gz')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str)
SELECT _file, _row, COALESCE(logdate, '') || COALESCE('	' || logtime, '') || COALESCE('	' || edge, '') || COALESCE('	' || bytessent, '') || COALESCE('	' || cip, '') || COALESCE('	' || method, '') || COALESCE('	' || host, '') || COALESCE('	' || uri, '') || COALESCE('	' || status, '') || COALESCE('	' || creferrer, '') || COALESCE('	' || useragent, '') || COALESCE('	' || cs_uri_query, '') || COALESCE('	' || cookie, '') || COALESCE('	' || x_edge_result_type, '') || COALESCE('	' || x_edge_request_id, '') || COALESCE('	' || x_host_header, '') || COALESCE('	' || protocol, '') || COALESCE('	' || cs_bytes, '') || COALESCE('	' || time_taken, '') || COALESCE('	' || x_forwarded_for, '') || COALESCE('	' || ssl_protocol, '') || COALESCE('	' || ssl_cipher, '') || COALESCE('	' || x_edge_response_result_type, '') || COALESCE('	' || cs_protocol_version, '') || COALESCE('	' || file_status, '') || COALESCE('	' || file_encrypted_fields, ''), CASE WHEN file_encrypted_fields IS NULL THEN 'MISSING FIELDS: expected 26 fields' WHEN TRY_CAST(logdate AS DATE) IS NULL THEN 'BAD VALUE: logdate is not a DATE' WHEN TRY_CAST(logtime AS TIME) IS NULL THEN 'BAD VALUE: logtime is not a TIME' WHEN TRY_CAST(bytessent AS BIGINT) IS NULL THEN 'BAD VALUE: bytessent is not a BIGINT' WHEN TRY_CAST(status AS BIGINT) IS NULL THEN 'BAD VALUE: status is not a BIGINT' WHEN TRY_CAST(cs_bytes AS BIGINT) IS NULL THEN 'BAD VALUE: cs_bytes is not a BIGINT' WHEN TRY_CAST(time_taken AS DOUBLE) IS NULL THEN 'BAD VALUE: time_taken is not a DOUBLE' END FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, str, str, str, str, int, int, int, str, str, str, str, int, int, int, str, str, str, str, int, int, int, str)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING (str, str, int, NoneType, str, str, str, int, NoneType, str, str, str, int, NoneType, str, str, str, int, NoneType, str)
INSERT INTO raw.pipeline.rejects VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str, str, str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG ops:invalidate, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ?;

-- loader LOADER LOADING (str, str, str, str, str)
UPDATE raw.pipeline.load_history SET status = ? WHERE target_table = ? AND file IN (?, ?, ?);

-- loader LOADER LOADING (str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ?;

-- loader LOADER LOADING (str, str, str, str)
UPDATE raw.pipeline.load_history SET status = ? WHERE target_table = ? AND file IN (?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG markers:raw.pipeline.markers, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?) AND table_name IN (?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING ()
SELECT update_id, target_table, inserted, row_count FROM raw.pipeline.markers;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadSecurityCheckLogs:2024-03-04, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str, str, str, str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str, str, str, str)
DELETE FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING (str, str, str, str, str, str)
DELETE FROM raw.pipeline.rejects WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.diagnostics.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status, creferrer, useragent, cs_uri_query, cookie, x_edge_result_type, x_edge_request_id, x_host_header, protocol, cs_bytes, time_taken, x_forwarded_for, ssl_protocol, ssl_cipher, x_edge_response_result_type, cs_protocol_version, file_status, file_encrypted_fields, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER + 2, CURRENT_TIMESTAMP() FROM @raw.diagnostics.diagnostics_stage)
FILES = ('ESECCHECKONE01/ESECCHECKONE01.2024-03-04-12.LBBC6GN1497.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-04-14.UYNGJ9W3JXA.gz', 'ESECCHECKONE01/ESECCHECKONE01.2024-03-04-22.2YLUW012DCZ.gz', 'ESECCHECKTWO02/ESECCHECKTWO02.2024-03-04-03.DZJ1UXK765S.gz', 'ESECCHECKTWO02/ESECCHECKTWO02.2024-03-04-17.ZJZEQ8D6CNW.gz')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT _file, _row, COALESCE(logdate, '') || COALESCE('	' || logtime, '') || COALESCE('	' || edge, '') || COALESCE('	' || bytessent, '') || COALESCE('	' || cip, '') || COALESCE('	' || method, '') || COALESCE('	' || host, '') || COALESCE('	' || uri, '') || COALESCE('	' || status, '') || COALESCE('	' || creferrer, '') || COALESCE('	' || useragent, '') || COALESCE('	' || cs_uri_query, '') || COALESCE('	' || cookie, '') || COALESCE('	' || x_edge_result_type, '') || COALESCE('	' || x_edge_request_id, '') || COALESCE('	' || x_host_header, '') || COALESCE('	' || protocol, '') || COALESCE('	' || cs_bytes, '') || COALESCE('	' || time_taken, '') || COALESCE('	' || x_forwarded_for, '') || COALESCE('	' || ssl_protocol, '') || COALESCE('	' || ssl_cipher, '') || COALESCE('	' || x_edge_response_result_type, '') || COALESCE('	' || cs_protocol_version, '') || COALESCE('	' || file_status, '') || COALESCE('	' || file_encrypted_fields, ''), CASE WHEN file_encrypted_fields IS NULL THEN 'MISSING FIELDS: expected 26 fields' WHEN TRY_CAST(logdate AS DATE) IS NULL THEN 'BAD VALUE: logdate is not a DATE' WHEN TRY_CAST(logtime AS TIME) IS NULL THEN 'BAD VALUE: logtime is not a TIME' WHEN TRY_CAST(bytessent AS BIGINT) IS NULL THEN 'BAD VALUE: bytessent is not a BIGINT' WHEN TRY_CAST(status AS BIGINT) IS NULL THEN 'BAD VALUE: status is not a BIGINT' WHEN TRY_CAST(cs_bytes AS BIGINT) IS NULL THEN 'BAD VALUE: cs_bytes is not a BIGINT' WHEN TRY_CAST(time_taken AS DOUBLE) IS NULL THEN 'BAD VALUE: time_taken is not a DOUBLE' END FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str, str, str, str, str, str, str, str, str, str, str, str, str)
DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND (file_encrypted_fields IS NULL OR TRY_CAST(logdate AS DATE) IS NULL OR TRY_CAST(logtime AS TIME) IS NULL OR TRY_CAST(bytessent AS BIGINT) IS NULL OR TRY_CAST(status AS BIGINT) IS NULL OR TRY_CAST(cs_bytes AS BIGINT) IS NULL OR TRY_CAST(time_taken AS DOUBLE) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType, str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str, str, str, str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?, ?, ?, ?, ?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;

-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG luigi:LoadLicenses:2024-03-05, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING (str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?) AND table_name IN (?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- loader LOADER LOADING (str, str)
SELECT file, status FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str, str, str)
DELETE FROM raw.licenses.licenses WHERE _file IN (?, ?, ?);

-- loader LOADER LOADING ()
COPY INTO raw.licenses.licenses (customerid, company, number, email, stripeid, licenseid, issuedat, expiresat, _file, _row, _loaded_at)
FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, CURRENT_TIMESTAMP() FROM @raw.licenses.licenses_stage)
FILES = ('2024-03-05/licenses-2024-03-05.csv')
FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.license_csv')
ON_ERROR = CONTINUE
FORCE = TRUE;

-- loader LOADER LOADING (str, str, str)
SELECT _file, _row, COALESCE(customerid, '') || COALESCE(',' || company, '') || COALESCE(',' || number, '') || COALESCE(',' || email, '') || COALESCE(',' || stripeid, '') || COALESCE(',' || licenseid, '') || COALESCE(',' || issuedat, '') || COALESCE(',' || expiresat, ''), CASE WHEN expiresat IS NULL THEN 'MISSING FIELDS: expected 8 fields, every quote closed' WHEN TRY_CAST(issuedat AS BIGINT) IS NULL THEN 'BAD VALUE: issuedat is not a BIGINT' WHEN TRY_CAST(expiresat AS BIGINT) IS NULL THEN 'BAD VALUE: expiresat is not a BIGINT' END FROM raw.licenses.licenses WHERE _file IN (?, ?, ?) AND (expiresat IS NULL OR TRY_CAST(issuedat AS BIGINT) IS NULL OR TRY_CAST(expiresat AS BIGINT) IS NULL) ORDER BY _file, _row;

-- loader LOADER LOADING (str, str, str)
DELETE FROM raw.licenses.licenses WHERE _file IN (?, ?, ?) AND (expiresat IS NULL OR TRY_CAST(issuedat AS BIGINT) IS NULL OR TRY_CAST(expiresat AS BIGINT) IS NULL);

-- loader LOADER LOADING (str, str, str, int, int, int, NoneType)
INSERT INTO raw.pipeline.load_history VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP);

-- loader LOADER LOADING ()
COMMIT;

-- loader LOADER LOADING (str, str)
SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ? AND file IN (?);

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id = ?;

-- loader LOADER LOADING (str, str, datetime, str, int, str)
INSERT INTO raw.pipeline.markers (update_id, target_table, inserted, run_id, row_count, code_version) VALUES (?, ?, ?, ?, ?, ?);

-- loader LOADER LOADING (str)
SELECT count(*) FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING (str)
DELETE FROM raw.pipeline.markers WHERE update_id IN (?);

-- loader LOADER LOADING ()
COMMIT;
