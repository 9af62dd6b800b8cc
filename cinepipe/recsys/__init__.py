"""Recommender models, splits, metrics and top-N scoring: plain functions, no Prefect."""
