"""The API benchmark's baseline: a bare FastAPI app with one constant endpoint, served by uvicorn with the same
options as the real service (`uvicorn bench.bare_app:app`)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}
