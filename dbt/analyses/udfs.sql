-- The on-run-start UDF DDL for the target, compiled to target/compiled/ for review or for a DBA to run by hand.
{{ create_udfs() }}
