"""Errors a person reads: each names the source, what went wrong and what to do."""

from __future__ import annotations


class CinepipeError(Exception):
    """A failure the CLI reports in one line, without a traceback."""

    def __init__(self, source: str, problem: str, action: str) -> None:
        self.source = source
        self.problem = problem
        self.action = action
        super().__init__(f"{source}: {problem}. {action}")


class DownloadError(CinepipeError):
    """A download failed or its content did not verify."""


class TransientHTTPError(DownloadError):
    """A network error worth retrying (dropped connection, 5xx, 429)."""


class LayoutError(CinepipeError):
    """A file or directory is in no layout we know."""


class ValidationFailed(CinepipeError):
    """More rows failed their checks than the configured fraction allows."""


class ModelError(CinepipeError):
    """A model cannot be trained on the data it was given."""
