"""dbt, driven by Luigi: tasks derived from dbt's manifest."""
