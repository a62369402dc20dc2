-- connect loader: LOCK_TIMEOUT 600, QUERY_TAG ops:snowflake-check, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role LOADER, user loader, warehouse LOADING

-- loader LOADER LOADING ()
LIST @raw.diagnostics.diagnostics_stage/ESECCHECKONE01/ESECCHECKONE01.2024-03-04-;

-- loader LOADER LOADING ()
SELECT METADATA$FILENAME, MIN(METADATA$FILE_ROW_NUMBER) FROM @raw.diagnostics.diagnostics_stage/ESECCHECKONE01/ESECCHECKONE01.2024-03-04-12.LBBC6GN1497.gz (FILE_FORMAT => 'raw.pipeline.cloudfront_log') GROUP BY 1;

-- loader LOADER LOADING ()
CREATE TEMPORARY TABLE raw.orgm.smoke_TOKEN (line VARCHAR);

-- loader LOADER LOADING x2 ()
COPY INTO raw.orgm.smoke_TOKEN (line) FROM (SELECT $1 FROM @raw.diagnostics.diagnostics_stage) FILES = ('ESECCHECKONE01/ESECCHECKONE01.2024-03-04-12.LBBC6GN1497.gz') FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log') ON_ERROR = CONTINUE;

-- loader LOADER LOADING ()
COPY INTO raw.orgm.smoke_TOKEN (line) FROM (SELECT $1 FROM @raw.diagnostics.diagnostics_stage) FILES = ('ESECCHECKONE01/ESECCHECKONE01.2024-03-04-12.LBBC6GN1497.gz') FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log') ON_ERROR = CONTINUE FORCE = TRUE;

-- loader LOADER LOADING ()
DROP TABLE IF EXISTS raw.orgm.smoke_TOKEN;

-- loader LOADER LOADING ()
BEGIN;

-- loader LOADER LOADING ()
PUT 'file:///TMP/tmpTOKEN.csv' @raw.pipeline.uploads/smoke_TOKEN/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4;

-- loader LOADER LOADING ()
SELECT CURRENT_TRANSACTION();

-- loader LOADER LOADING ()
ROLLBACK;

-- loader LOADER LOADING ()
REMOVE @raw.pipeline.uploads/smoke_TOKEN/;

-- connect admin: LOCK_TIMEOUT 600, QUERY_TAG ops:snowflake-check, STATEMENT_TIMEOUT_IN_SECONDS 3600, TIMESTAMP_TYPE_MAPPING TIMESTAMP_NTZ, TIMEZONE UTC, account test_account, autocommit True, credentials password, login_timeout 60, network_timeout 3900, role SYSADMIN, user permission_bot, warehouse analyst_xs

-- admin SECURITYADMIN ANALYST_XS ()
USE ROLE SECURITYADMIN;

-- admin SECURITYADMIN ANALYST_XS ()
SHOW GRANTS TO ROLE LOADER;

-- admin SECURITYADMIN ANALYST_XS ()
SHOW GRANTS TO ROLE TRANSFORMER;

-- admin SECURITYADMIN ANALYST_XS ()
SHOW GRANTS TO ROLE PERMISSION_BOT;
