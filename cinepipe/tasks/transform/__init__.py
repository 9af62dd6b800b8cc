"""Transform tasks, one module per branch."""
