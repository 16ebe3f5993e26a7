"""Tamper-evident audit: every write and every sensitive read, hash-chained and signed."""
