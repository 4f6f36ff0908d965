"""Ingest: extract batches from the landing zone into raw, once, whole, losing nothing."""
