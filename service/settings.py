"""One typed settings object, read from EXPOSURE_* environment variables."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


@cache
def package_version() -> str:
    """The version the package was installed as (pyproject.toml is the one place it is written)."""
    try:
        return version("exposure-screen")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPOSURE_", extra="ignore")

    db: Path = Field(default=Path("var/exposure.duckdb"), description="DuckDB database file, opened read-only")
    host: str = Field(default="127.0.0.1", description="address `exposure serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="server processes")
    page_size_default: int = Field(default=50, ge=1)
    page_size_max: int = Field(default=500, ge=1, le=10_000)
    top_contributions: int = Field(default=20, ge=1, le=1000, description="contributions shown in a profile")
    state_db: Path | None = Field(
        default=None,
        description="SQLite file for screenings, API keys and usage (default: exposure-state.sqlite beside the db)",
    )
    anonymous_scopes: str = Field(
        default="", description="scopes callers without a key get: '' (none), 'read', or 'read,screen'"
    )
    anonymous_rate_per_minute: int = Field(
        default=120,
        ge=1,
        description="requests a minute one client address may make without a key (when anonymous_scopes allows "
        "any), shared by every worker",
    )
    key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="how long a worker trusts a key it authenticated; a key revoked by another process (exposure "
        "keys revoke) stops working within this time",
    )
    refresh_poll_seconds: float = Field(default=2.0, gt=0, description="how often to look for a refreshed snapshot")
    log_level: str = Field(default="INFO")
    screen_max_items: int = Field(default=10_000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="larger request bodies get a 413")
    query_timeout_seconds: float = Field(default=10.0, gt=0, description="an analytic query running longer is stopped")
    cursor_secret: SecretStr | None = Field(
        default=None,
        description="signs page cursors; set the same on every host behind one name (default: a key file "
        "beside the state database, shared by that host's workers)",
    )

    cors_origins: str = Field(
        default="",
        description="browser origins allowed to call the API, comma-separated ('' none, '*' any), e.g. "
        "https://intranet.example.ca",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def state_path(self) -> Path:
        return self.state_db or self.db.with_name("exposure-state.sqlite")

    @property
    def anonymous_scope_set(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.anonymous_scopes.split(",") if s.strip())

    @field_validator("anonymous_scopes")
    @classmethod
    def _known_scopes(cls, value: str) -> str:
        scopes = {s.strip() for s in value.split(",") if s.strip()}
        if scopes - {"read", "screen"}:
            raise ValueError(f"anonymous callers may get read and screen only, not {sorted(scopes)}")
        return value

    @field_validator("page_size_max")
    @classmethod
    def _max_covers_default(cls, value: int, info: object) -> int:
        data = getattr(info, "data", {})
        default = data.get("page_size_default", 50)
        if value < default:
            raise ValueError(f"page_size_max ({value}) must be at least page_size_default ({default})")
        return value
