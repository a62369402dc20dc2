"""Warehouse clients (one interface, DuckDB and Snowflake backends), landing-zone listing and marker targets."""
