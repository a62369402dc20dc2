"""Deterministic sample data for every source of the pipeline.

Entry points: ``devdata.generate.generate`` (and ``python -m devdata.generate``) for a consistent dataset,
``devdata.bulk.bulk_logs`` (``python -m devdata.bulk``) for benchmark volumes. They are not imported here so that
``python -m`` runs them without a double import.
"""

from devdata.alb import AWS_ACCOUNT_ID
from devdata.cloudfront import DIAGNOSTIC_LOCATION_ONE, DIAGNOSTIC_LOCATION_TWO, RELEASE_LOCATION
from devdata.model import DirtOptions, DirtRecord, LandingFile, LinePos, Table
from devdata.writers import write_duckdb, write_files, write_postgres

# Where the sample lands (the sources' S3 locations and account), by the environment variable each is read from.
LOCATIONS = {
    "DIAGNOSTIC_LOCATION_ONE": DIAGNOSTIC_LOCATION_ONE,
    "DIAGNOSTIC_LOCATION_TWO": DIAGNOSTIC_LOCATION_TWO,
    "RELEASE_LOCATION": RELEASE_LOCATION,
    "AWS_ACCOUNT_ID": AWS_ACCOUNT_ID,
}

__all__ = [
    "AWS_ACCOUNT_ID", "DIAGNOSTIC_LOCATION_ONE", "DIAGNOSTIC_LOCATION_TWO", "LOCATIONS", "RELEASE_LOCATION",
    "DirtOptions", "DirtRecord", "LandingFile", "LinePos", "Table", "write_duckdb", "write_files", "write_postgres",
]
