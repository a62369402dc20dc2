"""Deterministic sample data for every source of the pipeline.

Entry points: ``devdata.generate.generate`` (and ``python -m devdata.generate``) for a consistent dataset,
``devdata.bulk.bulk_logs`` (``python -m devdata.bulk``) for benchmark volumes. They are not imported here so that
``python -m`` runs them without a double import.
"""

from devdata.alb import AWS_ACCOUNT_ID
from devdata.cloudfront import DIAGNOSTIC_LOCATION_ONE, DIAGNOSTIC_LOCATION_TWO, RELEASE_LOCATION
from devdata.model import DirtOptions, DirtRecord, LandingFile, LinePos, Table
from devdata.writers import write_duckdb, write_files, write_postgres

__all__ = [
    "AWS_ACCOUNT_ID", "DIAGNOSTIC_LOCATION_ONE", "DIAGNOSTIC_LOCATION_TWO", "RELEASE_LOCATION", "DirtOptions",
    "DirtRecord", "LandingFile", "LinePos", "Table", "write_duckdb", "write_files", "write_postgres",
]
