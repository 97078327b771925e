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

    @field_validator("page_size_max")
    @classmethod
    def _max_covers_default(cls, value: int, info: object) -> int:
        data = getattr(info, "data", {})
        default = data.get("page_size_default", 50)
        if value < default:
            raise ValueError(f"page_size_max ({value}) must be at least page_size_default ({default})")
        return value
