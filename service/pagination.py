"""The page cursor of GET /v1/firms: opaque to callers, signed, and bound to the one list it pages through.

A cursor holds the snapshot it was given on, the sort, a digest of the filters and the id of the last firm of
its page; the next page starts after that firm's place, which the query looks up again in the same snapshot,
so nothing a caller writes in a cursor reaches SQL as a value. An HMAC over the whole, keyed by a secret of
the deployment, makes an edited cursor detectable. Reading a cursor answers, with a problem naming why:

- 422: not a cursor this API gave out (garbled, edited, or signed under another secret);
- 409: a cursor of this snapshot for another sort or other filters, which would silently continue another list;
- 410: a cursor of a snapshot no longer served (the data was refreshed since); the caller starts again.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from service.errors import ApiError
from service.settings import Settings

VERSION = 1
SIGNATURE_BYTES = 16
KEY_BYTES = 32
KEY_FILE = "exposure-cursor.key"
START_AGAIN = "start again without a cursor"
UNCHANGED = "send next_cursor exactly as a page gave it, or start again without a cursor"


class CursorError(ApiError):
    """A cursor that cannot continue the list asked for; the status says why."""

    TITLES: ClassVar[dict[int, str]] = {
        422: "Invalid cursor",
        409: "Cursor of another list",
        410: "Cursor of an older snapshot",
    }

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, f"cursor: {detail}", title=self.TITLES[status])


@dataclass(frozen=True)
class ListScope:
    """What a cursor is bound to: the snapshot, the sort and the filters of one list."""

    snapshot_id: str
    sort: str
    filters: str  # a digest: the filters themselves would make a cursor longer than a query string allows

    @classmethod
    def of(cls, snapshot_id: str, sort: str, filters: Mapping[str, Any]) -> ListScope:
        canonical = json.dumps(dict(sorted(filters.items())), separators=(",", ":"), default=str)
        return cls(snapshot_id, sort, hashlib.sha256(canonical.encode()).hexdigest()[:16])


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def encode(scope: ListScope, after_firm_id: str, key: bytes) -> str:
    """The cursor of the page after `after_firm_id`, in `scope`."""
    body = {"v": VERSION, "snapshot": scope.snapshot_id, "sort": scope.sort, "filters": scope.filters}
    payload = json.dumps({**body, "after": after_firm_id}, separators=(",", ":")).encode()
    return f"{_b64encode(payload)}.{_b64encode(_signature(key, payload))}"


def decode(cursor: str, scope: ListScope, key: bytes) -> str:
    """The firm id a cursor continues after, once it is shown to be ours and of this very list."""
    payload = _verified_payload(cursor, key)
    try:
        fields = json.loads(payload)
    except ValueError as exc:  # signed by us, so only a change of format gets here
        raise CursorError(422, f"not a cursor this API gave out; {START_AGAIN}") from exc
    expected = {"v": int, "snapshot": str, "sort": str, "filters": str, "after": str}
    if (
        not isinstance(fields, dict)
        or set(fields) != set(expected)
        or not all(type(fields[name]) is kind for name, kind in expected.items())
        or fields["v"] != VERSION
    ):
        raise CursorError(422, f"a cursor of another version of this API; {START_AGAIN}")
    if fields["snapshot"] != scope.snapshot_id:
        raise CursorError(
            410,
            f"it was given on snapshot {fields['snapshot']}, and the data has been refreshed since "
            f"(now {scope.snapshot_id}); pages of two snapshots would not fit together; {START_AGAIN}",
        )
    if fields["sort"] != scope.sort:
        raise CursorError(
            409, f"it continues the list sorted by {fields['sort']!r}, not by {scope.sort!r}; {START_AGAIN}"
        )
    if fields["filters"] != scope.filters:
        raise CursorError(409, f"it continues a list with other filters; send the same filters, or {START_AGAIN}")
    after: str = fields["after"]
    return after


def _verified_payload(cursor: str, key: bytes) -> bytes:
    encoded_payload, dot, encoded_signature = cursor.partition(".")
    try:
        if not dot:
            raise ValueError("no signature")
        payload = _b64decode(encoded_payload)
        signature = _b64decode(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise CursorError(422, f"not a cursor this API gave out; {UNCHANGED}") from exc
    if not hmac.compare_digest(signature, _signature(key, payload)):
        raise CursorError(
            422,
            f"its signature does not match: it was changed, or given by a server with another secret; {START_AGAIN}",
        )
    return payload


def signing_key(settings: Settings) -> bytes:
    """EXPOSURE_CURSOR_SECRET when set (several hosts behind one name share it); otherwise a random key kept
    beside the state database, which every worker of the deployment reads, so any of them reads any cursor."""
    if settings.cursor_secret is not None:
        return hashlib.sha256(settings.cursor_secret.get_secret_value().encode()).digest()
    return _key_file(settings.state_path.with_name(KEY_FILE))


@functools.cache
def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(handle, secrets.token_bytes(KEY_BYTES))
        finally:
            os.close(handle)
        try:
            os.link(draft, path)  # publishes the whole key at once, and never over another worker's
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ApiError(503, f"the cursor key {path} is damaged ({len(key)} bytes, not {KEY_BYTES}); delete it")
    return key
