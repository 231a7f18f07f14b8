"""Database access at the edge: the engine, the connection pool, and units of work.

One transaction per request or per job is opened here (by the HTTP middleware or the job
wrapper); services and repositories never commit. Piccolo keeps the current transaction in a
ContextVar, so every query made while a unit of work is open runs inside it. A unit of work
opened inside another one becomes a savepoint, so a test's outer transaction holds everything
and a failed request inside it still rolls back only its own work.

Side effects outside the database (job enqueues, pushes, deletes in object storage) are
registered with `after_commit` and run only once the outermost transaction has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar, Token
from typing import Any

from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction, Savepoint

from backend.settings import Settings

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[Any]]

_current: ContextVar[UnitOfWork | None] = ContextVar("ctn_unit_of_work", default=None)


_engine: PostgresEngine | None = None


def engine() -> PostgresEngine:
    """The process's engine (piccolo_conf's `DB`), looked up once: Piccolo's `engine_finder`
    imports the configuration module on every call, which cost ~20 µs per query."""
    global _engine
    if _engine is None:
        db = engine_finder()
        if not isinstance(db, PostgresEngine):  # pragma: no cover - configuration error
            raise RuntimeError("piccolo_conf must define a PostgresEngine")
        _engine = db
    return _engine


async def open_pool(settings: Settings) -> bool:
    """Open the connection pool; False when it was already open."""
    db = engine()
    if db.pool is not None:
        return False
    await db.start_connection_pool(
        min_size=settings.db_pool_min, max_size=settings.db_pool_max, reset=_keep_session
    )
    return True


async def _keep_session(connection: Any) -> None:
    """What the pool does to a connection given back, after asyncpg has rolled back any
    transaction left open: nothing. Our connections carry no session state (no LISTEN, no
    session-level locks or settings; advisory locks are transaction-scoped), so asyncpg's
    default reset query (UNLISTEN, RESET ALL, unlock all, …) would be one more round trip per
    request for nothing."""


async def close_pool() -> None:
    db = engine()
    if db.pool is not None:
        await db.close_connection_pool()


class _ReadConnection:
    """Published where Piccolo looks for the current transaction, so that a read-only unit's
    queries run on one pooled connection, each in its own implicit transaction. The connection
    is taken at the first query, not before: a revalidation answered 304 from a cached version
    takes none. Piccolo only calls `.connection.fetch` and `.connection.execute`."""

    def __init__(self) -> None:
        self.taken: Any = None

    @property
    def connection(self) -> _ReadConnection:
        return self

    async def _take(self) -> Any:
        if self.taken is None:
            db = engine()
            self.taken = await db.pool.acquire() if db.pool else await db.get_new_connection()
        return self.taken

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._take()).fetch(*args, **kwargs)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._take()).execute(*args, **kwargs)


class UnitOfWork:
    """A transaction (or a savepoint inside an enclosing unit of work) with commit hooks.

    A `read_only` unit (routes with `opt={"transaction": "read"}`) holds one pooled connection
    and no transaction: no BEGIN and COMMIT around the one or two SELECTs of a hot read. Its
    statements are not atomic together, so it is only for routes that write nothing that must
    be; a unit opened inside it is refused.
    """

    def __init__(self, *, joinable_by_requests: bool = False, read_only: bool = False) -> None:
        self.read_only = read_only
        self._read: _ReadConnection | None = None
        self._read_context: Token[Any] | None = None
        self.joinable_by_requests = joinable_by_requests
        """Requests made while this unit is current join it (the test harness's outer unit);
        any other unit is invisible to a request."""
        self._parent: UnitOfWork | None = None
        self._transaction: PostgresTransaction | None = None
        self._savepoint: Savepoint | None = None
        self._token: Token[UnitOfWork | None] | None = None
        self._after_commit: list[AfterCommit] = []
        self.finished = False

    async def begin(self, *, request: bool = False) -> UnitOfWork:
        """Open the unit; `request=True` at the HTTP edge, where a unit found in the context
        was inherited, not opened by this request (cpython#140947: a server can create a
        request's task in a copy of the previous request's context), and is never joined,
        unless it is the test harness's."""
        parent = _current.get()
        inherited = parent is not None and (
            parent.finished or (request and not parent.joinable_by_requests)
        )
        if inherited or (request and parent is None):
            _forget_inherited_transaction()
            parent = None
        self._parent = parent
        if self._parent is not None and self._parent._read is not None:
            raise RuntimeError("a unit of work was opened inside a read-only one")
        if self._parent is None and self.read_only:
            self._read = _ReadConnection()
            self._read_context = engine().current_transaction.set(self._read)  # type: ignore[arg-type]  # Piccolo only reads .connection
        elif self._parent is not None:
            assert self._parent._transaction is not None
            self._transaction = self._parent._transaction
            self._savepoint = await self._transaction.savepoint()
        else:
            # Piccolo's own __aenter__/__aexit__ would leak the connection when COMMIT fails,
            # so the steps are done here: acquire, BEGIN, publish in Piccolo's ContextVar.
            db = engine()
            transaction = db.transaction(allow_nested=False)
            transaction.connection = await transaction.get_connection()
            transaction.transaction = transaction.connection.transaction()
            try:
                await transaction.begin()
            except BaseException:
                await _release(transaction)
                raise
            transaction.context = db.current_transaction.set(transaction)
            self._transaction = transaction
        self._token = _current.set(self)
        return self

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        if self.finished:
            return
        self.finished = True
        self._reset()
        if self._savepoint is not None:
            await self._savepoint.release()
            assert self._parent is not None
            self._parent._after_commit.extend(self._after_commit)
            return
        if self._read is not None:
            await self._release_read()
        else:
            assert self._transaction is not None
            try:
                await self._transaction.commit()
            finally:
                await _release(self._transaction)
        await _run_callbacks(self._after_commit)

    async def rollback(self) -> None:
        if self.finished:
            return
        self.finished = True
        self._reset()
        self._after_commit.clear()
        if self._savepoint is not None:
            await self._savepoint.rollback_to()
            return
        if self._read is not None:
            await self._release_read()
            return
        assert self._transaction is not None
        try:
            await self._transaction.rollback()
        finally:
            await _release(self._transaction)

    async def _release_read(self) -> None:
        assert self._read is not None
        db = engine()
        if self._read_context is not None:
            with contextlib.suppress(ValueError):  # set in another context (test teardown)
                db.current_transaction.reset(self._read_context)
        taken, self._read.taken = self._read.taken, None
        if taken is None:
            return
        if db.pool is not None:
            await db.pool.release(taken)
        else:
            await taken.close()

    def _reset(self) -> None:
        if self._token is not None:
            with contextlib.suppress(ValueError):  # reset from another context (test teardown)
                _current.reset(self._token)
            self._token = None


@contextlib.asynccontextmanager
async def unit_of_work() -> AsyncIterator[UnitOfWork]:
    """Commit when the block ends normally, roll back when it raises."""
    uow = await UnitOfWork().begin()
    try:
        yield uow
    except BaseException:
        await uow.rollback()
        raise
    else:
        await uow.commit()


def current_unit_of_work() -> UnitOfWork | None:
    return _current.get()


async def after_commit(callback: AfterCommit) -> None:
    """Run `callback` once the current transaction commits, or now if there is none.

    Dropped if the transaction rolls back, so a failed request leaves no job enqueued and no
    push sent.
    """
    uow = _current.get()
    if uow is None or uow.finished:
        await callback()
    else:
        uow.after_commit(callback)


def _forget_inherited_transaction() -> None:
    """Clear, in this context only, any transaction this task inherited."""
    _current.set(None)
    engine().current_transaction.set(None)


async def _release(transaction: PostgresTransaction) -> None:
    """Give the connection back (the pool resets it) and clear Piccolo's ContextVar."""
    db = transaction.engine
    if getattr(transaction, "context", None) is not None:
        with contextlib.suppress(ValueError):  # set in another context (test teardown)
            db.current_transaction.reset(transaction.context)
    if db.pool is not None:
        await db.pool.release(transaction.connection)
    else:
        await transaction.connection.close()


async def _run_callbacks(callbacks: list[AfterCommit]) -> None:
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            # The transaction is already committed; a failing side effect must not turn a
            # successful request into an error. It is logged for the operators.
            log.exception("after-commit callback failed")


async def ping(timeout: float) -> None:
    """Raise if the database does not answer `SELECT 1` within `timeout` seconds."""
    db = engine()
    async with asyncio.timeout(timeout):
        if db.pool is not None:
            async with db.pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
        else:
            connection = await db.get_new_connection()
            try:
                await connection.fetchval("SELECT 1")
            finally:
                await connection.close()
