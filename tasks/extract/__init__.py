"""Loads from the S3 landing zone into raw tables."""
