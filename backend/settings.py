"""One typed settings object, read once from the environment and validated at start.

Every setting is a field of `Settings`; its environment variable is `CTN_<FIELD>` except
`DATABASE_URL`. A missing or malformed value raises `SettingsError` whose message is one line
naming the variable and what is wrong; the CLI prints that line and exits, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import typing
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

    # --- identity (OpenID Connect relying party, our tokens) ---
    public_url: str | None = None
    """The backend's external base URL (redirect URIs are built on it); default
    `http://<host>:<port>`."""
    oidc_issuer: str | None = None
    """The identity provider's issuer; its configuration is read by discovery. With
    `CTN_DEV_IDP=1` it defaults to the development provider at `<public_url>/dev-idp`."""
    oidc_client_id: str = "c-thainguyen"
    oidc_client_secret: str | None = None
    oidc_client_auth: Literal[
        "auto", "client_secret_basic", "client_secret_post", "private_key_jwt"
    ] = "auto"
    """How we authenticate to the provider's token endpoint; `auto`: private_key_jwt when a key
    file is set, else the client secret as the provider prefers."""
    oidc_client_key_file: str | None = None
    """PEM private key (RSA or EC) for `private_key_jwt`; its public half is published at
    `/auth/client-jwks` for the provider's registration."""
    oidc_scopes: str = "openid profile"
    oidc_acr_values: str | None = None
    """`acr_values` asked of the provider (e.g. `LoA2`)."""
    oidc_staff_acr: str | None = None
    """If set, staff roles are only granted to a sign-in whose `acr` is one of these
    (comma-separated, e.g. `LoA2`); a weaker sign-in acts as a citizen."""
    oidc_claim_personal_id: str = "SoDinhDanh"
    oidc_claim_name: str = "HoVaTen"
    oidc_claim_birth_date: str = "NgayThangNamSinh"
    oidc_claim_gender: str = "GioiTinh"
    oidc_claim_address: str = "DiaChi"
    mobile_redirect_uris: str = "vn.gov.thainguyen.cthainguyen:/oauth2redirect"
    """Comma-separated redirect URIs of the mobile app (exact match)."""
    dev_idp: bool = False
    """Mount the development identity provider at /dev-idp (`ctn demo` sets it)."""
    access_token_minutes: Annotated[int, msgspec.Meta(ge=1, le=60)] = 10
    refresh_token_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    refresh_idle_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 14
    session_idle_minutes_staff: PositiveInt = 15
    session_idle_minutes_citizen: PositiveInt = 120
    auth_throttle_address_per_minute: PositiveInt = 6000
    """Sign-in requests (authorize, callback, token) per client address and minute, counted
    across all processes. High on purpose: a carrier's NAT or a commune office puts thousands
    of people behind one address, and one sign-in takes 3–6 requests (6,000 admits 1,000
    sign-ins a minute)."""
    auth_throttle_credential_per_minute: PositiveInt = 10
    """Attempts per minute on one login flow (state), one handoff code, one refresh-token
    family (or one unknown refresh token): what stops guessing and hammering."""
    security_log: str | None = None
    """JSON-lines file of security events; default `<data_dir>/security.jsonl`."""

    # --- the HTTP edge (read by backend/server.py and backend/middleware.py) ---
    http_header_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """A connection must deliver a request line and headers within this time (else 408)."""
    http_body_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """A request body read before the request's transaction must arrive whole within this
    time, and a streamed upload may not pause longer than this (else 408, connection closed)."""
    db_public_share: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.5
    """The share of the connection pool that requests without credentials may hold at once,
    so that public routes cannot starve signed-in work."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks of reverse proxies whose `X-Forwarded-For` and
    `X-Forwarded-Proto` are believed; empty: the socket's peer is the client."""

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def __post_init__(self) -> None:
        if self.database_url is not None and urlsplit(self.database_url).scheme not in (
            "postgres",
            "postgresql",
        ):
            raise SettingsError("DATABASE_URL", "must be a postgresql:// URL")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise SettingsError("CTN_SECRET_KEY", "must be at least 32 characters")
        if not _province_exists(self.province_code):
            raise SettingsError(
                "CTN_PROVINCE_CODE",
                f"is invalid: no province has code {self.province_code!r}"
                " (GSO codes from vietnam-provinces; 19 is Thái Nguyên)",
            )
        if self.tips_master_keys is not None:
            from backend.tips.crypto import check_master_keys_setting

            check_master_keys_setting(self.tips_master_keys)
        if self.tips_offences is not None:
            from backend.tips.offences import check_offences_setting

            check_offences_setting(self.tips_offences)
        if self.db_pool_min > self.db_pool_max:
            raise SettingsError("CTN_DB_POOL_MIN", "must not exceed CTN_DB_POOL_MAX")
        for proxy in self.trusted_proxy_list:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    "CTN_TRUSTED_PROXIES", f"is invalid: {proxy!r} is not an address or network"
                ) from None

    def __repr__(self) -> str:
        # Secrets (the master secret, the crime reports' master keys, …) never in a repr.
        shown = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            secret = name in SECRET_FIELDS and value
            shown.append(f"{name}={'***' if secret else repr(value)}")
        return f"Settings({', '.join(shown)})"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def issuer(self) -> str | None:
        if self.oidc_issuer:
            return self.oidc_issuer.rstrip("/")
        return f"{self.base_url}/dev-idp" if self.dev_idp else None

    @property
    def client_secret(self) -> str | None:
        """The configured client secret; with the development provider and none configured,
        one derived from the master secret (both sides compute the same)."""
        if self.oidc_client_secret:
            return self.oidc_client_secret
        if self.dev_idp and self.secret_key:
            digest = hmac.new(self.secret_key.encode(), b"dev-idp-client", hashlib.sha256)
            return digest.hexdigest()
        return None

    @property
    def mobile_redirects(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.mobile_redirect_uris.split(",") if u.strip())

    @property
    def security_log_path(self) -> Path:
        return (
            Path(self.security_log) if self.security_log else Path(self.data_dir) / "security.jsonl"
        )

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

    # --- content: object storage and media processing (read by content/storage.py, video.py) ---
    storage_backend: Literal["local", "s3"] = "local"
    """Where media objects live: `local` (the media directory) or `s3` (any S3-compatible)."""
    s3_endpoint_url: str | None = None
    """S3 endpoint (MinIO, Ceph, …); unset means AWS S3 for `s3_region`."""
    s3_region: str = "us-east-1"
    s3_bucket: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_max_workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 8
    """Threads that run boto3 calls off the event loop (per process)."""
    s3_part_size_mb: Annotated[int, msgspec.Meta(ge=5, le=512)] = 8
    media_url_ttl_seconds: Annotated[int, msgspec.Meta(ge=10, le=7 * 24 * 3600)] = 3600
    """How long a signed or presigned media URL stays valid."""
    image_max_pixels: Annotated[int, msgspec.Meta(ge=1)] = 50_000_000
    """Images with more pixels are refused (decompression bombs); each upload purpose has its
    own, lower limit too (content/policy.py)."""
    image_workers: Annotated[int, msgspec.Meta(ge=0, le=32)] = 2
    """Processes that decode images (per server process; each is replaced after every image,
    so the memory a large image took goes back to the system). 0 decodes in a thread of the
    server process (tests, benchmark baseline)."""
    image_worker_memory_mb: Annotated[int, msgspec.Meta(ge=256)] = 2048
    """Address-space limit of an image worker: an image that needs more fails (422) instead
    of taking the machine's memory."""
    upload_concurrency_per_person: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2
    """Uploads one person may have in progress at once (per server process); more is a 429."""
    ffmpeg: str | None = None
    """ffmpeg binary; else `ffmpeg` on PATH, else the one shipped by imageio-ffmpeg."""
    ffmpeg_preset: str = "veryfast"
    ffmpeg_threads: Annotated[int, msgspec.Meta(ge=0)] = 0
    """ffmpeg `-threads` (0: ffmpeg decides)."""
    media_stalled_seconds: Annotated[float, msgspec.Meta(gt=10)] = 60.0
    """A media job whose worker sent no heartbeat for this long (the worker died) is put
    back in the queue; more than the workers' 10-second heartbeat interval."""
    media_recovery_cron: str = "* * * * *"
    """How often workers look for such jobs (cron; a 6th field counts seconds)."""

    # --- notifications: push gateway, campaigns (read by notifications/push, campaigns) ---
    push_backend: Literal["logging", "fcm"] = "logging"
    """`logging` records what would be pushed (embedded default, tests); `fcm` sends through
    Firebase Cloud Messaging (HTTP v1) with the service account in `fcm_credentials_file`."""
    fcm_credentials_file: str | None = None
    """Path of the Firebase service-account JSON (project id, key, `token_uri`)."""
    fcm_endpoint: str | None = None
    """Base URL replacing `https://fcm.googleapis.com` for sends and topic management
    (tests' local stand-in, regional endpoints); unset in production."""
    fcm_quota_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 600_000
    """Messages per minute the project may send, shared by every worker (FCM's default)."""
    fcm_max_in_flight: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    """Chunks of messages one worker process has in flight at once."""
    fcm_chunk_size: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100
    """Messages per `send_each` call (FCM accepts at most 500)."""
    push_log_file: str | None = None
    """Where the logging gateway appends one JSON line per message (default: the log)."""
    push_batch_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    """Devices one sending job claims and sends at a time."""
    push_send_parts: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    """Ranges a device-by-device campaign is split into, each sent by a chain of jobs of its
    own: up to that many worker jobs (workers × their concurrency) share one campaign."""
    device_stale_days: Annotated[int, msgspec.Meta(ge=1)] = 270
    """Devices not refreshed for this long are pruned (FCM treats them as stale)."""
    quiet_hours: str = "21:00-07:00"
    """Local hours (Asia/Ho_Chi_Minh) in which public, non-urgent campaigns are not pushed."""

    # --- crime reports (read by backend/tips) ---
    tips_master_keys: str | None = None
    """Master keys that wrap each report's data key: `id:<base64 of 32 bytes>` separated by
    commas, the first one current (e.g. `k2:…,k1:…`); older ones still unwrap until
    `ctn tips rotate-key` has re-wrapped every data key. Unset: one key derived from
    `CTN_SECRET_KEY` (id `derived-1`)."""
    tips_pow_difficulty: Annotated[int, msgspec.Meta(ge=0, le=32)] = 20
    """Leading zero bits the proof of work of an anonymous report needs (each bit doubles
    the work: 20 is about a second on a phone)."""
    tips_challenge_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 30
    """How long a proof-of-work challenge may be used (once)."""
    tips_rate_window_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 10
    """The window of the citizen routes' limits below."""
    tips_anonymous_per_address: PositiveInt = 10
    """Anonymous reports per client address (counted by keyed hash) and window."""
    tips_receipt_failures_per_address: PositiveInt = 10
    """Wrong receipts per client address (keyed hash) and window."""
    tips_receipt_attempts_per_receipt: PositiveInt = 5
    """Failed uses of one receipt value per window (a leaked receipt being hammered)."""
    tips_receipt_failures_global: PositiveInt = 1000
    """Wrong receipts across everyone per window; past it every receipt waits (a receipt
    accepted then would tell a guesser which guesses are right)."""
    tips_description_max_chars: Annotated[int, msgspec.Meta(ge=100, le=100_000)] = 5000
    tips_max_attachments: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    """Files per report, messages' files included."""
    tips_max_attachment_total_mb: Annotated[int, msgspec.Meta(ge=1)] = 500
    """Total size of a report's files (as uploaded)."""
    tips_anonymous_time_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 15
    """Times stored for what an anonymous reporter does (the report, their messages and
    files) are rounded down to this many minutes: the rows need no exact time, and an exact
    one could be matched against a network log elsewhere."""
    tips_offences: str | None = None
    """The offence types offered, as JSON `[{"code": "drugs", "vi": "…", "en": "…"}, …]`;
    unset: the built-in list (backend/tips/offences.py)."""
    # police side (backend/tips/police.py, duty.py, retention.py)
    tips_provincial_unit: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,40}$")] = (
        "CA-TINH"
    )
    """The police unit (code) whose members handle the provincial queue: reports with no
    commune, or a commune no unit answers for; its supervisors transfer them on."""
    tips_search_scan_limit: Annotated[int, msgspec.Meta(ge=10, le=10_000)] = 500
    """Reports a text search of the police queue decrypts per request at most."""
    tips_retention_resolved_days: PositiveInt = 1825
    tips_retention_unfounded_days: PositiveInt = 365
    tips_retention_transferred_days: PositiveInt = 1825
    tips_retention_duplicate_days: PositiveInt = 1825
    """Days after closing at which a report's content, messages and files are purged, by
    outcome (its statistics row stays)."""
    tips_retention_cron: str = "17 3 * * *"
    """When the retention purge runs (cron, local time of the worker)."""

    # --- welfare status (read by backend/welfare) ---
    welfare_import_max_mb: Annotated[int, msgspec.Meta(ge=1, le=2048)] = 100
    """Largest beneficiary list or payment-result file accepted (.xlsx or .csv)."""
    welfare_import_batch_rows: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 2000
    """Rows an import checks and writes together (its progress moves by this step)."""
    welfare_payout_day: Annotated[int, msgspec.Meta(ge=1, le=28)] = 10
    """Day of the month a period's payments are expected, unless the period says otherwise."""


SECRET_FIELDS = frozenset(
    {
        "database_url",
        "secret_key",
        "oidc_client_secret",
        "s3_secret_access_key",
        "tips_master_keys",
    }
)


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable
        self.problem = problem


def _province_exists(code: str) -> bool:
    from vietnam_provinces import ProvinceCode

    try:
        ProvinceCode(int(code))
    except ValueError:
        return False
    return True


def _allowed_values(field: str) -> tuple[str, ...]:
    """The values an enumerated setting accepts (its `Literal`), else ()."""
    hint = typing.get_type_hints(Settings, include_extras=True).get(field)
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is Literal:
        return tuple(str(value) for value in typing.get_args(hint))
    if hint is bool:
        return ("0", "1", "true", "false")
    return ()


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"CTN_{field.upper()}"


_current: Settings | None = None


def get_settings() -> Settings:
    """The process's settings: read from the environment once, at first use (or those a
    command validated and set with `use_settings`). What modules and jobs read, instead of
    reading the environment again."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Make `settings` the process's settings (a command, once it has read and validated
    them; `ctn demo` again after it has set up its own database)."""
    global _current
    _current = settings
    return settings


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
        allowed = _allowed_values(field)
        if allowed:
            message = "must be one of " + ", ".join(allowed)
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
