"""Typed settings (luigi.Config sections) and the registry of secrets."""
