"""The domain of an order: pure functions and small types, no I/O."""
