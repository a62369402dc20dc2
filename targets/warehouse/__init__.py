"""The warehouse: one Session interface, a backend per module, the load ledger, the factory."""
