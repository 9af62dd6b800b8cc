"""Train tasks, one module per branch."""
