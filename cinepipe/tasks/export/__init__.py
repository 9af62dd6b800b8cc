"""Export tasks, one module per branch."""
