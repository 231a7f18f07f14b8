"""One typed settings object, read once from the environment and validated at start.

Every setting is a field of `Settings`; its environment variable is `CTN_<FIELD>` except
`DATABASE_URL`. A missing or malformed value raises `SettingsError` whose message is one line
naming the variable and what is wrong; the CLI prints that line and exits, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

import msgspec

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    """PostgreSQL URL. Required by `ctn serve`/`ctn worker`; `ctn demo` sets its own."""
    data_dir: str = "./var"
    """Where the embedded PostgreSQL and the local media live."""
    media_dir: str | None = None
    """Local object storage; defaults to `<data_dir>/media`."""
    province_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,2}$")] = "19"
    """The province served (GSO code; 19 is Thái Nguyên after the July 2025 merger)."""
    host: str = "127.0.0.1"
    port: Port = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    db_pool_min: Annotated[int, msgspec.Meta(ge=0)] = 1
    db_pool_max: PositiveInt = 10
    db_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    idempotency_ttl_hours: PositiveInt = 24
    worker_concurrency: PositiveInt = 2
    secret_key: str | None = None
    """Master secret (≥ 32 characters): wraps our token-signing keys, keys HMACs (signed media
    URLs, pseudonymous client hashes in the security log). Required by `ctn serve`/`ctn worker`;
    `ctn demo` keeps one in `<data_dir>/secret.key`."""

    def __post_init__(self) -> None:
        if self.database_url is not None and urlsplit(self.database_url).scheme not in (
            "postgres",
            "postgresql",
        ):
            raise SettingsError("DATABASE_URL", "must be a postgresql:// URL")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise SettingsError("CTN_SECRET_KEY", "must be at least 32 characters")
        if self.db_pool_min > self.db_pool_max:
            raise SettingsError("CTN_DB_POOL_MIN", "must not exceed CTN_DB_POOL_MAX")

    @property
    def media_path(self) -> Path:
        return Path(self.media_dir) if self.media_dir else Path(self.data_dir) / "media"

    def require_secret_key(self) -> str:
        if not self.secret_key:
            raise SettingsError("CTN_SECRET_KEY", "is not set (at least 32 random characters)")
        return self.secret_key

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("DATABASE_URL", "is not set (expected postgresql://…)")
        return self.database_url


SECRET_FIELDS = frozenset({"database_url", "secret_key"})


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable
        self.problem = problem


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"CTN_{field.upper()}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    raw = {
        field: environ[env_name(field)]
        for field in Settings.__struct_fields__
        if env_name(field) in environ
    }
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = ""
        if " - at `$." in message:
            message, _, path = message.rpartition(" - at `$.")
            field = path.rstrip("`").split(".")[0].split("[")[0]
        if not field:
            raise SettingsError("settings", message) from None
        value = "" if field in SECRET_FIELDS else f" (got {raw.get(field)!r})"
        raise SettingsError(env_name(field), f"is invalid: {message}{value}") from None


def redact_url(url: str) -> str:
    """The URL with any password replaced, for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def describe(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(variable, value for display, source) for every setting: source is `env` or `default`."""
    environ = os.environ if environ is None else environ
    rows = []
    for field in Settings.__struct_fields__:
        value = getattr(settings, field)
        shown = "" if value is None else str(value)
        if field in SECRET_FIELDS and value:
            shown = redact_url(str(value)) if field.endswith("_url") else "***"
        source = "env" if env_name(field) in environ else "default"
        rows.append((env_name(field), shown, source))
    return rows
