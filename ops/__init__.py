"""Operating the pipeline: operator commands (python -m ops), Kubernetes manifests, roles and replication CLIs."""
