"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from litestar import Litestar, Request
from litestar.config.app import ExperimentalFeatures
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from backend import db, domains, openapi, security_events, server
from backend.console import shell as console
from backend.devidp.service import do_ensure_key
from backend.errors import UnsupportedMediaType
from backend.http.etag import ETagMiddleware
from backend.http.idempotency import IdempotencyMiddleware
from backend.identity.guard import AuthenticationMiddleware
from backend.identity.keys import do_ensure_signing_key
from backend.identity.oidc import close_clients
from backend.identity.throttle import ThrottleMiddleware
from backend.jobs import WORKER_OPTIONS, job_app
from backend.logs import flush_access_log
from backend.middleware import (
    EdgeMiddleware,
    RequestContextMiddleware,
    UnitOfWorkMiddleware,
)
from backend.problems import exception_handler
from backend.settings import Settings, get_settings
from notifications.push import close_gateway

log = logging.getLogger("ctn.app")


JSON_TYPES = ("application/json",)


async def check_content_type(request: Request[Any, Any, Any]) -> None:
    """415 for a body in a media type the route does not read (default: JSON only)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    handler = request.scope["route_handler"]
    if "data" not in handler.parsed_fn_signature.parameters:
        return
    if (
        request.headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in request.headers
    ):
        return
    accepted = handler.opt.get("accepts", JSON_TYPES)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted and not (
        "application/json" in accepted and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(accepted=list(accepted))


def create_app(
    settings: Settings | None = None,
    *,
    run_worker: bool = False,
    extra_route_handlers: Sequence[Any] = (),
) -> Litestar:
    """The application. `run_worker` runs the job worker inside this process (`ctn demo`).

    The lifespan opens the database pool and the job queue unless they are already open (the
    test suite opens them once for the session) and closes only what it opened.
    """
    settings = settings or get_settings()
    security_events.configure(settings.security_log_path, settings.secret_key)
    server.configure(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        opened_pool = await db.open_pool(settings)
        try:
            await prepare_keys(settings)
            settle_garbage_collector()
            async with job_app.open_async():
                worker: asyncio.Task[None] | None = None
                if run_worker:
                    worker = asyncio.create_task(
                        job_app.run_worker_async(
                            **WORKER_OPTIONS,
                            concurrency=settings.worker_concurrency,
                            install_signal_handlers=False,
                            name="in-process",
                        )
                    )
                try:
                    yield
                finally:
                    if worker is not None:
                        worker.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await worker
        finally:
            await close_clients()
            await close_gateway()
            flush_access_log()
            if opened_pool:
                await db.close_pool()

    def provide_settings() -> Settings:
        return settings

    app = Litestar(
        route_handlers=[
            *domains.route_handlers(dev_idp=settings.dev_idp),
            *console.router(settings),
            *extra_route_handlers,
        ],
        template_config=console.template_config(),
        lifespan=[lifespan],
        dependencies={"settings": Provide(provide_settings, use_cache=True, sync_to_thread=False)},
        # Outermost first. Idempotency runs inside the request's transaction, so a stored
        # response is committed with the work it describes.
        middleware=[
            DefineMiddleware(
                cast("Any", EdgeMiddleware),
                public_slots=asyncio.Semaphore(public_slots(settings)),
                body_timeout=settings.http_body_timeout_seconds,
                wait=settings.db_timeout_seconds,
            ),
            # Sign-in routes (opt `throttle`): counted in PostgreSQL outside the request's
            # transaction, by flow, code, refresh family and client address (identity.throttle).
            DefineMiddleware(cast("Any", ThrottleMiddleware), settings=settings),
            cast("Any", UnitOfWorkMiddleware),
            DefineMiddleware(cast("Any", AuthenticationMiddleware), settings=settings),
            DefineMiddleware(
                cast("Any", IdempotencyMiddleware), ttl_hours=settings.idempotency_ttl_hours
            ),
            cast("Any", ETagMiddleware),
        ],
        before_request=check_content_type,
        exception_handlers={Exception: exception_handler},
        openapi_config=openapi.config(),
        logging_config=None,
        request_max_body_size=10 * 1024 * 1024,
        experimental_features=list[ExperimentalFeatures](),
    )
    openapi.document(app)
    # Wrap the whole application (router and exception handling included) so that 404s and
    # 405s get a request id and an access-log line too.
    app.asgi_handler = cast(
        "Any",
        RequestContextMiddleware(
            cast("Any", app.asgi_handler), body_timeout=settings.http_body_timeout_seconds
        ),
    )
    return app


def settle_garbage_collector() -> None:
    """Move what start-up made (modules, routes, schemas: ~150k objects) out of the garbage
    collector's sight, and collect the young generation less often: full collections of those
    objects, every second or so under load, were most of the tail latency."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 100)


GC_GEN0_THRESHOLD = 20_000
"""Allocations between young collections (CPython's default is 2,000 in 3.13, 700 before)."""


def public_slots(settings: Settings) -> int:
    """Connections that requests without credentials may hold at once."""
    return max(1, int(settings.db_pool_max * settings.db_public_share))


async def prepare_keys(settings: Settings) -> None:
    """Signing keys exist before the first request: ours, and the development provider's."""
    if not settings.secret_key:
        log.warning("CTN_SECRET_KEY is not set: sign-in is unavailable")
        return
    async with db.unit_of_work():
        await do_ensure_signing_key(settings)
        if settings.dev_idp:
            await do_ensure_key()


def create_served_app() -> Litestar:
    """Factory for `ctn serve`: each uvicorn worker process configures its own JSON logging."""
    from backend.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
