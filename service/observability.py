"""Structured JSON logs with a request id, and Prometheus metrics (per process)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REQUEST_ID_HEADER = "X-Request-ID"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any `extra` fields."""

    RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
    _second: int = -1
    _stamp: str = ""

    def format(self, record: logging.LogRecord) -> str:
        # Every request writes one of these lines, so the time is formatted by hand (datetime costs more), and
        # its seconds once a second.
        seconds = int(record.created)
        if seconds != self._second:
            self._second, self._stamp = seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        entry: dict[str, Any] = {
            "time": f"{self._stamp}.{int((record.created - seconds) * 1000):03d}+00:00",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in vars(record).items() if k not in self.RESERVED}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """The server process's logging: JSON lines on stderr. The records leave out what no line shows (thread,
    process and source-file lookups), as the logging HOWTO's "Optimization" section advises for hot paths."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("exposure")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    """The service's metrics, in a registry of its own (one per app, so tests do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "exposure_requests_total",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "exposure_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.snapshot_age = Gauge(
            "exposure_snapshot_age_seconds", "Seconds since the served snapshot was scored", registry=self.registry
        )
        self.snapshot_switches = Gauge(
            "exposure_snapshot_switches", "Snapshots switched to since this process started", registry=self.registry
        )
        self.rows_quarantined = Gauge(
            "exposure_rows_quarantined",
            "Rows quarantined across every file in the served snapshot",
            registry=self.registry,
        )
        self.screened_items = Counter("exposure_screened_items_total", "Items screened", registry=self.registry)
        # The labelled series, found once: `labels()` takes a lock and builds a key on every call.
        self._request_series: dict[tuple[str, str, int], Any] = {}
        self._latency_series: dict[str, Any] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        counter = self._request_series.get((route, method, status))
        if counter is None:
            counter = self._request_series[(route, method, status)] = self.requests.labels(route, method, str(status))
        latency = self._latency_series.get(route)
        if latency is None:
            latency = self._latency_series[route] = self.latency.labels(route)
        counter.inc()
        latency.observe(seconds)

    def render(self, scored_at: datetime | None, quarantined: int, switches: int) -> bytes:
        if scored_at is not None:
            stamp = scored_at if scored_at.tzinfo else scored_at.replace(tzinfo=UTC)
            self.snapshot_age.set(max(0.0, time.time() - stamp.timestamp()))
        self.rows_quarantined.set(quarantined)
        self.snapshot_switches.set(switches)
        return generate_latest(self.registry)
