"""What a user sees: Prefect artifacts, terminal lines and progress bars."""
