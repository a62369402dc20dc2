"""Publishing results: the Postgres write-back and scripts, the metrics digest and report."""
