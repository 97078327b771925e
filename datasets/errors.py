"""Errors of the data layer. Each carries the HTTP status it deserves, so the API maps them without guessing."""

from __future__ import annotations


class DataError(Exception):
    """Base of the data layer's errors."""

    status: int = 500
    title: str = "Data error"


class LoadError(DataError):
    """A file that cannot be loaded: unreadable, empty, malformed header."""

    status = 422
    title = "File cannot be loaded"


class UnknownFormatError(LoadError):
    """A file whose header matches no known kind."""

    title = "Unknown file format"


class StoreMissingError(DataError):
    """The database file does not exist or has not been initialised."""

    status = 503
    title = "Database not available"


class StoreLockedError(DataError):
    """Another process holds the database for writing (a running server, or another command)."""

    status = 409
    title = "Database in use"


class NotFoundError(DataError):
    status = 404
    title = "Not found"


class FetchError(DataError):
    """USAspending refused or failed the download, or what came back is incomplete or corrupt."""

    status = 502
    title = "USAspending download failed"
