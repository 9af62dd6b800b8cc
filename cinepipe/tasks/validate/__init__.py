"""Validate tasks, one module per branch."""
