"""cinepipe: a movie data and machine-learning pipeline orchestrated by Prefect."""

__version__ = "0.1.0"
