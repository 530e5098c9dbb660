"""Placeholder for the Kafka loading benchmark script (validated for existence only)."""
