"""The uvicorn target: `uvicorn service.asgi:app`. Nothing else happens here."""

from service.app import create_app
from service.observability import configure_logging
from service.settings import Settings

settings = Settings()
configure_logging(settings.log_level)
app = create_app(settings)
