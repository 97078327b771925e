"""The uvicorn target: `uvicorn service.asgi:app`. Nothing else happens here."""

from service.app import create_app

app = create_app()
