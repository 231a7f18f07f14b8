"""Tamper-evident audit log (plan model 21): append-only, hash-chained."""
