-- connect admin: LOCK_TIMEOUT 600, QUERY_TAG bootstrap, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role SYSADMIN, user permission_bot, warehouse analyst_xs

-- admin SYSADMIN ANALYST_XS ()
USE ROLE SYSADMIN;

-- admin SYSADMIN ANALYST_XS ()
SHOW TERSE DATABASES;

-- admin SYSADMIN ANALYST_XS (str, str, str, str, str, str, str, str, str, str, str, str, str, str)
SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale FROM raw.information_schema.columns WHERE table_schema IN (?, ?, ?, ?, ?) AND table_name IN (?, ?, ?, ?, ?, ?, ?, ?, ?) ORDER BY table_schema, table_name, ordinal_position;

-- admin SYSADMIN ANALYST_XS ()
USE ROLE SYSADMIN;

-- admin SYSADMIN ANALYST_XS ()
CREATE DATABASE IF NOT EXISTS analytics;

-- admin SYSADMIN ANALYST_XS ()
CREATE DATABASE IF NOT EXISTS raw;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS analytics.util;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.diagnostics;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.licenses;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.orgm;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.pipeline;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.push_proxy;

-- admin SYSADMIN ANALYST_XS ()
CREATE SCHEMA IF NOT EXISTS raw.releases;

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.pipeline.load_history (target_table VARCHAR, file VARCHAR, status VARCHAR, rows_parsed NUMBER(38,0), rows_loaded NUMBER(38,0), errors_seen NUMBER(38,0), first_error VARCHAR, loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.pipeline.rejects (target_table VARCHAR, file VARCHAR, line NUMBER(38,0), raw_text VARCHAR, error VARCHAR, loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.pipeline.markers (update_id VARCHAR, target_table VARCHAR, inserted TIMESTAMP_NTZ, run_id VARCHAR, row_count NUMBER(38,0), code_version VARCHAR);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.pipeline.replication_state (table_name VARCHAR, bookmark TIMESTAMP_NTZ, column_list VARCHAR, rows_extracted NUMBER(38,0), rows_upserted NUMBER(38,0), rows_deleted NUMBER(38,0), full_load_at TIMESTAMP_NTZ, updated_at TIMESTAMP_NTZ, merges_since_compaction NUMBER(38,0));

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS analytics.util.pg_imports (source_table VARCHAR, destination_table VARCHAR, created_at TIMESTAMP_NTZ, post_process_file VARCHAR, processed_at TIMESTAMP_NTZ, rows_affected NUMBER(38,0));

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.diagnostics.log_entries (logdate VARCHAR, logtime VARCHAR, edge VARCHAR, bytessent VARCHAR, cip VARCHAR, method VARCHAR, host VARCHAR, uri VARCHAR, status VARCHAR, creferrer VARCHAR, useragent VARCHAR, cs_uri_query VARCHAR, cookie VARCHAR, x_edge_result_type VARCHAR, x_edge_request_id VARCHAR, x_host_header VARCHAR, protocol VARCHAR, cs_bytes VARCHAR, time_taken VARCHAR, x_forwarded_for VARCHAR, ssl_protocol VARCHAR, ssl_cipher VARCHAR, x_edge_response_result_type VARCHAR, cs_protocol_version VARCHAR, file_status VARCHAR, file_encrypted_fields VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.releases.log_entries (logdate VARCHAR, logtime VARCHAR, edge VARCHAR, bytessent VARCHAR, cip VARCHAR, method VARCHAR, host VARCHAR, uri VARCHAR, status VARCHAR, creferrer VARCHAR, useragent VARCHAR, cs_uri_query VARCHAR, cookie VARCHAR, x_edge_result_type VARCHAR, x_edge_request_id VARCHAR, x_host_header VARCHAR, protocol VARCHAR, cs_bytes VARCHAR, time_taken VARCHAR, x_forwarded_for VARCHAR, ssl_protocol VARCHAR, ssl_cipher VARCHAR, x_edge_response_result_type VARCHAR, cs_protocol_version VARCHAR, file_status VARCHAR, file_encrypted_fields VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.push_proxy.logs (type VARCHAR, requesttime VARCHAR, elb VARCHAR, client_and_port VARCHAR, target_and_port VARCHAR, request_processing_time VARCHAR, target_processing_time VARCHAR, response_processing_time VARCHAR, elb_status_code VARCHAR, target_status_code VARCHAR, received_bytes VARCHAR, sent_bytes VARCHAR, request VARCHAR, user_agent VARCHAR, ssl_cipher VARCHAR, ssl_protocol VARCHAR, target_group_arn VARCHAR, trace_id VARCHAR, domain_name VARCHAR, chosen_cert_arn VARCHAR, matched_rule_priority VARCHAR, request_creation_time VARCHAR, actions_executed VARCHAR, dash1 VARCHAR, dash2 VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.push_proxy.test_logs (type VARCHAR, requesttime VARCHAR, elb VARCHAR, client_and_port VARCHAR, target_and_port VARCHAR, request_processing_time VARCHAR, target_processing_time VARCHAR, response_processing_time VARCHAR, elb_status_code VARCHAR, target_status_code VARCHAR, received_bytes VARCHAR, sent_bytes VARCHAR, request VARCHAR, user_agent VARCHAR, ssl_cipher VARCHAR, ssl_protocol VARCHAR, target_group_arn VARCHAR, trace_id VARCHAR, domain_name VARCHAR, chosen_cert_arn VARCHAR, matched_rule_priority VARCHAR, request_creation_time VARCHAR, actions_executed VARCHAR, dash1 VARCHAR, dash2 VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.push_proxy.de_logs (type VARCHAR, requesttime VARCHAR, elb VARCHAR, client_and_port VARCHAR, target_and_port VARCHAR, request_processing_time VARCHAR, target_processing_time VARCHAR, response_processing_time VARCHAR, elb_status_code VARCHAR, target_status_code VARCHAR, received_bytes VARCHAR, sent_bytes VARCHAR, request VARCHAR, user_agent VARCHAR, ssl_cipher VARCHAR, ssl_protocol VARCHAR, target_group_arn VARCHAR, trace_id VARCHAR, domain_name VARCHAR, chosen_cert_arn VARCHAR, matched_rule_priority VARCHAR, request_creation_time VARCHAR, actions_executed VARCHAR, dash1 VARCHAR, dash2 VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE TABLE IF NOT EXISTS raw.licenses.licenses (customerid VARCHAR, company VARCHAR, number VARCHAR, email VARCHAR, stripeid VARCHAR, licenseid VARCHAR, issuedat VARCHAR, expiresat VARCHAR, _file VARCHAR, _row NUMBER(38,0), _loaded_at TIMESTAMP_NTZ);

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER FILE FORMAT raw.pipeline.cloudfront_log TYPE = CSV FIELD_DELIMITER = '	' SKIP_HEADER = 2 COMPRESSION = GZIP ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE ESCAPE_UNENCLOSED_FIELD = NONE ENCODING = 'UTF8' EMPTY_FIELD_AS_NULL = TRUE;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER FILE FORMAT raw.pipeline.alb_log TYPE = CSV FIELD_DELIMITER = ' ' SKIP_HEADER = 0 COMPRESSION = GZIP ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE ESCAPE_UNENCLOSED_FIELD = NONE ENCODING = 'UTF8' EMPTY_FIELD_AS_NULL = TRUE FIELD_OPTIONALLY_ENCLOSED_BY = '"';

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER FILE FORMAT raw.pipeline.license_csv TYPE = CSV FIELD_DELIMITER = ',' SKIP_HEADER = 0 COMPRESSION = NONE ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE ESCAPE_UNENCLOSED_FIELD = NONE ENCODING = 'UTF8' EMPTY_FIELD_AS_NULL = TRUE FIELD_OPTIONALLY_ENCLOSED_BY = '"';

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.diagnostics.diagnostics_stage URL = 's3://landing-bucket/bizops/diagnostics/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.releases.releases_stage URL = 's3://landing-bucket/bizops/releases/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.push_proxy.push_proxy_stage URL = 's3://landing-bucket/bizops/push_proxy/us/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.push_proxy.push_proxy_test_stage URL = 's3://landing-bucket/bizops/push_proxy/test/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.push_proxy.push_proxy_de_stage URL = 's3://landing-bucket/bizops/push_proxy/de/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE OR ALTER STAGE raw.licenses.licenses_stage URL = 's3://landing-bucket/bizops/licenses/' STORAGE_INTEGRATION = S3_LANDING;

-- admin SYSADMIN ANALYST_XS ()
CREATE STAGE IF NOT EXISTS raw.pipeline.uploads;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON FILE FORMAT raw.pipeline.cloudfront_log TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON FILE FORMAT raw.pipeline.alb_log TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON FILE FORMAT raw.pipeline.license_csv TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.diagnostics.diagnostics_stage TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.releases.releases_stage TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.push_proxy.push_proxy_stage TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.push_proxy.push_proxy_test_stage TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.push_proxy.push_proxy_de_stage TO ROLE LOADER;

-- admin SYSADMIN ANALYST_XS ()
GRANT USAGE ON STAGE raw.licenses.licenses_stage TO ROLE LOADER;

-- admin SECURITYADMIN ANALYST_XS ()
USE ROLE SECURITYADMIN;

-- admin SECURITYADMIN ANALYST_XS ()
GRANT OWNERSHIP ON STAGE raw.pipeline.uploads TO ROLE LOADER COPY CURRENT GRANTS;

-- admin SECURITYADMIN ANALYST_XS ()
ALTER USER IF EXISTS loader SET STATEMENT_TIMEOUT_IN_SECONDS = 3600 LOCK_TIMEOUT = 600;

-- admin SECURITYADMIN ANALYST_XS ()
ALTER USER IF EXISTS transformer SET STATEMENT_TIMEOUT_IN_SECONDS = 3600 LOCK_TIMEOUT = 600;
