"""Ingest tasks, one module per branch."""
