"""Operations: alerting around the pipeline runs."""
