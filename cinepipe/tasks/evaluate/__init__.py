"""Evaluate tasks, one module per branch."""
