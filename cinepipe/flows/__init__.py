"""Thin Prefect flows that only wire tasks."""
