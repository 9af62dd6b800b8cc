"""Prefect tasks, grouped by stage. Each task reads, calls a plain function, writes."""
