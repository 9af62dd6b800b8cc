"""IMDB review sentiment: readers, vocabulary, models, baselines and plots (no Prefect here)."""
