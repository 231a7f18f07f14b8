"""Security events for a SOC: one JSON object per line in `CTN_SECURITY_LOG`.

Failed token validations, refresh-token reuse, denied access, throttling. Nothing personal goes
in: the actor is our internal person id (never a personal identification number or a name),
and the client address only as a keyed, truncated hash (so repeated attempts from one address
can be correlated without storing the address).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from backend.logs import request_id_var

log = logging.getLogger("ctn.security")

_lock = threading.Lock()
_state: dict[str, Any] = {"path": None, "key": b""}
_client_address: ContextVar[str | None] = ContextVar("ctn_client_address", default=None)


def set_client_address(address: str | None) -> Token[str | None]:
    """`client_address` without a context manager (the edge of every request: a generator
    frame there is measurable); give the token to `reset_client_address` when done."""
    return _client_address.set(address)


def reset_client_address(token: Token[str | None]) -> None:
    _client_address.reset(token)


@contextmanager
def client_address(address: str | None) -> Iterator[None]:
    """The address of the client this request comes from, for the events emitted while the
    block runs (set once per request by the edge), so that every event about a login state,
    a handoff code or a refresh token says who keeps guessing, as a hash."""
    token = _client_address.set(address)
    try:
        yield
    finally:
        _client_address.reset(token)


def configure(path: Path, secret_key: str | None) -> None:
    """Where events go, and the key of the client-address hash. Called at app start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _state["path"] = path
    _state["key"] = hmac.new((secret_key or "").encode(), b"security-log", hashlib.sha256).digest()


def client_hash(address: str | None) -> str | None:
    if not address:
        return None
    return hmac.new(_state["key"], address.encode(), hashlib.sha256).hexdigest()[:16]


def emit(
    event: str,
    *,
    actor: str | None = None,
    client: str | None = None,
    **fields: str | int | bool | None,
) -> None:
    """Append one event. `fields` must hold no personal data (codes, routes, ids only).
    `client` defaults to the current request's client address; it is stored hashed."""
    if client is None:
        client = _client_address.get()
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": event,
        "request_id": request_id_var.get(),
        "actor": actor,
        "client": client_hash(client),
        **fields,
    }
    line = msgspec.json.encode(record) + b"\n"
    path: Path | None = _state["path"]
    # Also to the application log, so a deployment without a file still sees them.
    log.warning("security event %s", event, extra={"fields": {"event": event, **fields}})
    if path is None:
        return
    with _lock, path.open("ab") as out:
        out.write(line)


def read_events(path: Path) -> list[dict[str, Any]]:
    """All events in a security log (for tests and `ctn` tooling)."""
    if not path.exists():
        return []
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines() if line]
