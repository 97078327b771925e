"""Errors of the data layer. Each carries the HTTP status it deserves, so the API maps them without guessing:
declared as `class X(DataError, status=..., title=...)`."""

from __future__ import annotations

from typing import Any


class DataError(Exception):
    """Base of the data layer's errors."""

    status: int = 500
    title: str = "Data error"

    def __init_subclass__(cls, status: int | None = None, title: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if title is not None:
            cls.title = title


class LoadError(DataError, status=422, title="File cannot be loaded"):
    """A file that cannot be loaded: unreadable, empty, malformed header."""


class UnknownFormatError(LoadError, title="Unknown file format"):
    """A file whose header matches no known kind."""


class StoreMissingError(DataError, status=503, title="Database not available"):
    """The database file does not exist or has not been initialised."""


class StoreOutdatedError(DataError, status=503, title="Database predates this version"):
    """The database lacks tables this version's schema defines: `exposure init` adds them, keeping what it holds."""


class StoreLockedError(DataError, status=409, title="Database in use"):
    """Another process holds the database for writing (a running server, or another command)."""


class NotFoundError(DataError, status=404, title="Not found"):
    """A record asked for by its key that the store does not hold."""


class FetchError(DataError, status=502, title="USAspending download failed"):
    """USAspending refused or failed the download, or what came back is incomplete or corrupt."""
