"""Shared services that tasks use: alerts, Kubernetes pods and Jobs, permifrost, the replication."""
