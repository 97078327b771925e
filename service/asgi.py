"""The uvicorn target: `uvicorn --factory service.asgi:app_from_environment`. Nothing is built at import time."""

from fastapi import FastAPI

from service.app import create_app
from service.observability import configure_logging
from service.settings import Settings


def app_from_settings(settings: Settings) -> FastAPI:
    configure_logging(settings.log_level)
    return create_app(settings, server_process=True)


def app_from_environment() -> FastAPI:
    """The app configured by EXPOSURE_* variables, read once, here."""
    return app_from_settings(Settings())
