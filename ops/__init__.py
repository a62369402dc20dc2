"""Operating the pipeline: failure alerts, warehouse permissions and operator commands (python -m ops)."""
