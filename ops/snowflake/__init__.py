"""Snowflake administration: the bootstrap an administrator runs (``bootstrap``), the smoke check an operator runs
against an account (``check``), and grants compared with what each role needs (``privileges``)."""
