"""One typed settings object, read from EXPOSURE_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPOSURE_", extra="ignore")

    db: Path = Field(default=Path("var/exposure.duckdb"), description="DuckDB database file, opened read-only")
    page_size_default: int = Field(default=50, ge=1)
    page_size_max: int = Field(default=500, ge=1, le=10_000)
    top_contributions: int = Field(default=20, ge=1, le=1000, description="contributions shown in a profile")
    screenings_db: Path | None = Field(
        default=None, description="SQLite file recording screenings (default: screenings.sqlite beside the database)"
    )
    screen_max_items: int = Field(default=10_000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="larger request bodies get a 413")
    query_timeout_seconds: float = Field(default=10.0, gt=0, description="an analytic query running longer is stopped")

    @property
    def screenings_path(self) -> Path:
        return self.screenings_db or self.db.with_name("screenings.sqlite")

    @field_validator("page_size_max")
    @classmethod
    def _max_covers_default(cls, value: int, info: object) -> int:
        data = getattr(info, "data", {})
        default = data.get("page_size_default", 50)
        if value < default:
            raise ValueError(f"page_size_max ({value}) must be at least page_size_default ({default})")
        return value
