"""Marker-table targets: where markers live, the per-process snapshot, the Luigi target."""
