"""HTTP request-path benchmark (issue 10), driven by wrk, in two modes.

    python -m bench.http [--quick] [--rounds 5] [--seconds 10] [--warmup 2] [--connections 32]
                         [--seed demo|minimal] [--workloads …] [--no-pin]
    python -m bench.http --baseline REV [--workers 1] [same options]

Targets (the default). One command starts, on one fresh scratch database
(`ctn_bench_http_current`, created on postgresql://postgres@127.0.0.1:5432 with trust auth or
on the server of DATABASE_URL, migrated by `python -m backend migrate`, loaded with demo data,
dropped at the end):
- the baselines: `python -m bench.bare_app` (bench/bare_app.py), a bare Litestar app with
  `GET /bare/json` (constant JSON) and `GET /bare/row/{code}` (one `SELECT` by primary key of
  administrative_units with asyncpg from a pool of the project's size), served the same way as
  the project: uvicorn, one worker, `backend.server.uvicorn_options(settings)`, same host;
- the project: `python -m backend serve --workers 1 --allow-dev-idp` (the development identity
  provider; every throttling setting set so high that it never applies; other settings default);
- later, for the workers row only, `python -m backend serve --workers 2`.
Demo data: `python -m backend seed` (`--seed demo`, the default; it transcodes a short video);
when it fails, or with `--seed minimal`, bench/http_data.py publishes the public demo articles
through the article service, without a cover (the output says which was used and why).
Administrative units come with `migrate`. A demo citizen signs in through the development
provider as the mobile app does (PKCE, `POST /api/v1/auth/token`); its token is used for
`/api/v1/me`.

CPU pinning (taskset, util-linux, when there are two usable CPUs; `--no-pin` turns it off): the
servers run on the first CPU, wrk on the second, so the server's core is the only one it has
and the generator does not steal it. PostgreSQL is not pinned (it runs where the kernel puts
it, for the baseline as for the project). The machine is shared: read ratios, not absolute
figures.

Load: wrk (Debian package `wrk`), `-t1 -c32 -d<seconds>`, driven by a generated Lua script that
sets the method and headers (Accept; Authorization for /me; If-None-Match with the list's
ETag for the 304 row) and whose `done()` hook prints requests, duration, p50/p99/max latency
and errors as JSON. Every row is checked once with httpx before the load (expected status,
else the row is skipped with a note); wrk counts answers ≥ 400 as `status` errors. Each row is
warmed up once (`--warmup` seconds, not counted); then rounds alternate across rows (round 1:
every row in turn, round 2: every row, …), `--rounds` times: a slowdown of the machine hits
every row alike. req/s, p50 and p99 are medians over the rounds (wrk's percentiles of each
round); srv CPU ms/req is the server processes' user + system CPU time (from /proc) per
request, pg CPU ms/req that of the PostgreSQL backends of the scratch database.

Rows: bare JSON (the generator's ceiling: if it is not well above the bare row, wrk and not the
server sets the pace), bare one-row read (the baseline, 1.00×), GET /health/live,
/api/v1/admin-units/{code}, /api/v1/articles/{slug}, /api/v1/articles, /api/v1/admin-units
(200), the same answered 304 (If-None-Match), /api/v1/me. Targets, each printed PASS/FAIL:
one-row reads ≥ 0.7× the bare row, /me ≥ 0.5×, list pages ≥ 0.5×; a 304 costs at most half the
same 200 (server CPU per request, req/s ratio shown too); p99 under 20 ms at half the
saturating rate for those routes; `--workers 2` at least as fast as one worker; RSS per worker
no more than 20 MB above its start.

p99 at half the saturating rate: wrk is closed-loop (each connection sends its next request
when the previous answer arrived), so a paced phase follows: each route at 0.5 × its median
saturating req/s, by a Lua `delay()` hook that makes each of the 32 connections wait a
random pause before each request, exponential with mean 32 / rate seconds (independent users,
a Poisson stream; one fixed pause made the connections march in step, so that after any stall
they arrived as one train and the p99 measured the train). Caveats, printed: the pause comes
after the answer, so the achieved rate is a little below the offered one (both shown); and
wrk times a request from when it is sent, so a stall of the server delays the requests that
would have been sent meanwhile without counting them late (coordinated omission): the p99 is
optimistic under stalls. Debian has no wrk2 (`apt-cache search wrk2` finds nothing).

`--workers 2`: the servers and wrk all unpinned (both CPUs shared, as in production on this
machine): `ctn serve --workers 2` against the same 1-worker server (moved to both CPUs),
alternating, on /api/v1/admin-units/{code}.

Memory: VmRSS of every server process after start (and sign-in) and after the load, from /proc.

Baseline (`--baseline REV`): a real `ctn serve` of the working tree ("current") against one of
a git revision ("baseline", checked out with `git worktree add --detach` in a temporary
directory, removed at the end), each with its own scratch database (`ctn_bench_http_current`,
`ctn_bench_http_baseline`, migrated by that side's own code, seeded as above by that side's
code), both pinned to the first CPU and wrk to the second; the same wrk driver; rounds alternate
baseline/current (ABAB…) per row; `--workers N` per side. `--baseline HEAD` compares the
uncommitted changes with the last commit (on a clean tree both run the same code: the
differences are noise); `--baseline 6640eb5` is before the request-path changes. Rows: the
project rows above plus `POST /api/v1/auth/token` with a JSON refresh grant whose random
refresh token (made per request in Lua) is refused with 400. Printed per row: req/s and the
ratio current/baseline, p50/p99, server and PostgreSQL CPU per request, the generator's CPU
share, errors; then the servers' RSS.

Temporary files go under `BENCH_DIR` when set.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import os
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bench.common import (
    WrkResult,
    base_env,
    cpu_seconds,
    free_port,
    memory_kb,
    pinned,
    process_tree,
    repin,
    run_wrk,
    usable_cpus,
    wrk_script,
)

SECRET_KEY = "bench-secret-0123456789-abcdefghijklmnop"
SYSTEM_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DB = "ctn_bench_http_{side}"
APP_REDIRECT = "vn.bench.ctn:/oauth2redirect"
CITIZEN = "019090001234"  # Nguyễn Văn An, a demo citizen of backend/devidp/people.py
NO_THROTTLE = "1000000000"  # sign-in requests per client address and minute
TOKEN_MAX_AGE = 30 * 60  # seconds; access tokens are asked to last 60 minutes
REPO = Path(__file__).resolve().parents[1]
P99_LIMIT_MS = 20.0
RSS_GROWTH_LIMIT_MB = 20.0


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    path: str  # {code}: an administrative unit, {slug}: a published article
    expect: int = 200
    method: str = "GET"
    bare: bool = False  # served by bench.bare_app
    signed_in: bool = False
    conditional: bool = False  # If-None-Match with the ETag of the same GET
    refresh_body: bool = False
    target: float | None = None  # minimum req/s ratio to the bare one-row read
    target_name: str = ""
    paced: bool = False  # p99 at half the saturating rate must be under 20 ms


WORKLOADS = (
    Workload("bare-json", "bare GET /bare/json (generator ceiling)", "/bare/json", bare=True),
    Workload("bare-row", "bare GET /bare/row/{code} (baseline)", "/bare/row/{code}", bare=True),
    Workload("live", "GET /health/live", "/health/live"),
    Workload(
        "unit",
        "GET /api/v1/admin-units/{code}",
        "/api/v1/admin-units/{code}",
        target=0.7,
        target_name="one-row read",
        paced=True,
    ),
    Workload(
        "article",
        "GET /api/v1/articles/{slug}",
        "/api/v1/articles/{slug}",
        target=0.7,
        target_name="one-row read",
        paced=True,
    ),
    Workload(
        "articles",
        "GET /api/v1/articles",
        "/api/v1/articles",
        target=0.5,
        target_name="list page",
        paced=True,
    ),
    Workload(
        "units",
        "GET /api/v1/admin-units",
        "/api/v1/admin-units",
        target=0.5,
        target_name="list page",
        paced=True,
    ),
    Workload(
        "units-304",
        "GET /api/v1/admin-units → 304",
        "/api/v1/admin-units",
        expect=304,
        conditional=True,
    ),
    Workload(
        "me",
        "GET /api/v1/me (signed in)",
        "/api/v1/me",
        signed_in=True,
        target=0.5,
        target_name="signed-in read",
        paced=True,
    ),
    Workload(
        "token",
        "POST /api/v1/auth/token (random refresh token: 400)",
        "/api/v1/auth/token",
        expect=400,
        method="POST",
        refresh_body=True,
    ),
)
TARGET_ROWS = tuple(w.key for w in WORKLOADS if w.key != "token")
BASELINE_ROWS = tuple(w.key for w in WORKLOADS if not w.bare)
BY_KEY = {w.key: w for w in WORKLOADS}
WORKERS_ROW = "unit"
BASELINE_ROW = "bare-row"
CEILING_ROW = "bare-json"


@dataclass
class Round:
    wrk: WrkResult
    server_cpu: float
    database_cpu: float | None
    offered: float | None = None  # req/s asked of a paced run

    @property
    def rate(self) -> float:
        return self.wrk.rate


@dataclass
class Side:
    name: str
    tree: Path
    revision: str
    directory: Path
    bare: bool = False
    workers: int = 1
    cpus: set[int] | None = None
    database_url: str = ""
    url: str = ""
    pid: int = 0
    log: Path = Path()
    token: str = ""
    token_at: float = 0.0
    code: str = ""
    slug: str = ""
    etags: dict[str, str] = field(default_factory=dict)
    seeded: str = ""
    skipped: dict[str, str] = field(default_factory=dict)  # row → why
    rounds: dict[str, list[Round]] = field(default_factory=dict)
    memory_at_start: dict[int, dict[str, int]] = field(default_factory=dict)
    memory_at_end: dict[int, dict[str, int]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The settings of this side's commands (`migrate`, `seed`, `serve`, the bare app)."""
        inherited = os.environ.get("PYTHONPATH")
        return {
            **base_env(),
            "PYTHONPATH": str(self.tree) + (os.pathsep + inherited if inherited else ""),
            "DATABASE_URL": self.database_url,
            "CTN_SECRET_KEY": SECRET_KEY,
            "CTN_DATA_DIR": str(self.directory / "data"),
            "CTN_MEDIA_DIR": str(self.directory / "media"),
            "CTN_SECURITY_LOG": str(self.directory / "security.jsonl"),
        }

    @property
    def throttles(self) -> list[str]:
        """The environment variables of this tree's throttling settings (integer fields of
        `Settings` named `…throttle…` or `…rate_limit…`): all set high, so nothing is
        throttled."""
        source = (self.tree / "backend" / "settings.py").read_text()
        fields = re.findall(
            r"^    (\w*(?:throttle|rate_limit)\w*): (?:PositiveInt|int)\b", source, re.MULTILINE
        )
        return [f"CTN_{name.upper()}" for name in fields]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


# --- revisions and trees --------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def describe_revisions(baseline: str) -> tuple[str, str, str, bool]:
    """(baseline commit, baseline label, current label, whether both run the same code)."""
    try:
        commit = git("rev-parse", "--verify", f"{baseline}^{{commit}}")
    except subprocess.CalledProcessError:
        sys.exit(f"bench.http: --baseline {baseline!r} is not a revision of {REPO}")
    head = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain"))

    def label(revision: str, suffix: str = "") -> str:
        subject = git("log", "-1", "--format=%s", revision)
        subject = subject if len(subject) <= 72 else subject[:71] + "…"
        return f"{revision[:7]}{suffix} — {subject}"

    current_label = label(head, " + uncommitted changes" if dirty else "")
    return commit, label(commit), current_label, commit == head and not dirty


@contextlib.contextmanager
def worktree(commit: str, path: Path) -> Iterator[Path]:
    """A detached checkout of `commit` at `path`, removed at the end."""
    git("worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield path
    finally:
        try:
            git("worktree", "remove", "--force", str(path))
        except subprocess.CalledProcessError:
            git("worktree", "prune")


# --- databases ------------------------------------------------------------------------------


def server_template() -> str:
    """A URL of the database server with `{db}` for the database name."""
    url = os.environ.get("DATABASE_URL") or SYSTEM_SERVER
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/{db}"))


@contextlib.contextmanager
def scratch_databases(sides: list[Side]) -> Iterator[None]:
    """A fresh, empty database per side (dropped at the end)."""
    import psycopg

    template = server_template()

    def admin(statement: str) -> None:
        with psycopg.connect(
            template.format(db="postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(statement)

    names = [SCRATCH_DB.format(side=side.name) for side in sides]
    try:
        admin("SELECT 1")
    except psycopg.Error as exc:
        sys.exit(f"bench.http: the database server does not answer ({exc})")
    try:
        for side, name in zip(sides, names, strict=True):
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin(f'CREATE DATABASE "{name}"')
            side.database_url = template.format(db=name)
        yield
    finally:
        for name in names:
            with contextlib.suppress(psycopg.Error):
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(sides: list[Side]) -> None:
    """Check that each side imports its own tree's code, and migrate its database with it
    (both sides at once)."""
    for side in sides:
        origin = subprocess.run(
            [sys.executable, "-c", "import backend; print(backend.__file__)"],
            cwd=side.tree,
            env=side.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not Path(origin).resolve().is_relative_to(side.tree.resolve()):
            sys.exit(f"bench.http: the {side.name} side imports {origin}, not its own tree")
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "backend", "migrate"],
            cwd=side.tree,
            env=side.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for side in sides
    ]
    for side, process in zip(sides, running, strict=True):
        output, _ = process.communicate()
        if process.returncode:
            sys.exit(f"bench.http: `ctn migrate` failed on the {side.name} side:\n{output}")


# --- servers and data ------------------------------------------------------------------


def seed(side: Side, how: str) -> None:
    """Demo data on this side's database, with this side's code: `ctn seed`, or (when it
    fails, or with `--seed minimal`) bench/http_data.py. Sets `side.seeded` to what was done."""
    why = "--seed minimal"
    if how == "demo":
        try:
            done = subprocess.run(
                [sys.executable, "-m", "backend", "seed"],
                cwd=side.tree,
                env=side.env(),
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired:
            why = "`ctn seed` took over 600 s"
        else:
            if done.returncode == 0:
                side.seeded = "`ctn seed` (the demo data)"
                return
            lines = (done.stdout + done.stderr).strip().splitlines() or ["(no output)"]
            why = f"`ctn seed` failed: {lines[-1][:160]}"
    script = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", script, str(REPO / "bench" / "http_data.py")],
        cwd=side.tree,
        env=side.env(),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        lines = (done.stdout + done.stderr).strip().splitlines() or ["(no output)"]
        side.seeded = f"nothing ({why}; bench/http_data.py failed too: {lines[-1][:160]})"
    else:
        side.seeded = f"bench/http_data.py: the public demo articles, no cover ({why})"


@contextlib.contextmanager
def serving(side: Side) -> Iterator[None]:
    """This side's server on a free port until the block ends: `python -m backend serve` of its
    tree, or the bare app; on `side.cpus` when set."""
    import httpx

    port = free_port()
    side.url = f"http://127.0.0.1:{port}"
    env = {
        **side.env(),
        "CTN_PUBLIC_URL": side.url,
        "CTN_DEV_IDP": "1",
        "CTN_MOBILE_REDIRECT_URIS": APP_REDIRECT,
        "CTN_ACCESS_TOKEN_MINUTES": "60",
        **dict.fromkeys(side.throttles, NO_THROTTLE),
    }
    if side.bare:
        command = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
        ready = "/bare/json"
    else:
        command = [sys.executable, "-m", "backend", "serve", "--port", str(port)]
        command += ["--workers", str(side.workers), "--allow-dev-idp"]
        ready = "/health/ready"
    side.log = side.directory / "serve.log"
    with side.log.open("w") as log:
        process = subprocess.Popen(
            pinned(command, side.cpus),  # taskset execs: the pid is the server's
            cwd=side.tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    side.pid = process.pid
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(side.url + ready, timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{side.name}: the server did not start:\n{side.log_tail()}")
            time.sleep(0.2)
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def database_cpu(side: Side) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to this side's database,
    when PostgreSQL runs on this machine; else None. A backend opened during a round counts
    from its start, one closed during it is missed."""
    import psycopg

    if urlsplit(side.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    database = urlsplit(side.database_url).path.lstrip("/")
    try:
        with psycopg.connect(server_template().format(db="postgres"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchall()
    except psycopg.Error:
        return None
    pids = [int(row[0]) for row in rows]
    if not all(Path(f"/proc/{pid}").exists() for pid in pids):
        return None  # another machine, or another PID namespace
    return cpu_seconds(pids)


def process_roles(pid: int) -> dict[int, str]:
    """What each server process is: the one started (with several workers, uvicorn's
    supervisor), a worker, or another helper process of multiprocessing."""
    tree = process_tree(pid)
    roles = {}
    for member in tree:
        try:
            command = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            command = b""
        if member == pid:
            roles[member] = "supervisor" if len(tree) > 1 else "server"
        elif helper := re.search(rb"from multiprocessing\.(\w+) import main", command):
            roles[member] = helper.group(1).decode().replace("_", " ")  # e.g. resource tracker
        else:
            roles[member] = "worker"
    return roles


def tree_memory(pid: int) -> dict[int, dict[str, int]]:
    memory = {}
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            memory[member] = memory_kb(member)
    return memory


# --- sign-in (the mobile app's flow, over HTTP, no browser) ---------------------------------


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) — RFC 7636 §4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def sign_in(side: Side) -> None:
    """A demo citizen signs in on this side's server through the development provider: the
    system browser's redirects (authorize → provider → callback → the app's redirect URI with
    a one-time code), then the app redeems the code with its PKCE verifier."""
    import httpx

    def fail(step: str, response: httpx.Response) -> RuntimeError:
        return RuntimeError(
            f"{side.name}: sign-in failed at {step}: {response.status_code} {response.text[:500]}"
            f"\nserver log:\n{side.log_tail()}"
        )

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    async with httpx.AsyncClient(base_url=side.url, timeout=30) as browser:
        start = await browser.get(
            "/auth/mobile/authorize",
            params={
                "redirect_uri": APP_REDIRECT,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "login_hint": CITIZEN,
            },
        )
        if start.status_code != 302:
            raise fail("/auth/mobile/authorize", start)
        at_provider = await browser.get(start.headers["location"])
        if at_provider.status_code != 302:
            raise fail("the provider's authorize", at_provider)
        back = await browser.get(at_provider.headers["location"])
        location = back.headers.get("location", "")
        if back.status_code != 302 or not location.startswith(APP_REDIRECT + "?"):
            raise fail("/auth/callback", back)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if query.get("state") != state or "code" not in query:
            raise fail(f"the app's redirect ({location[:200]})", back)
    async with httpx.AsyncClient(base_url=side.url, timeout=30) as app:
        tokens = await app.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "code_verifier": verifier,
            },
        )
        if tokens.status_code != 200:
            raise fail("POST /api/v1/auth/token", tokens)
        side.token = tokens.json()["access_token"]
        side.token_at = time.monotonic()
        me = await app.get("/api/v1/me", headers={"Authorization": f"Bearer {side.token}"})
        if me.status_code != 200:
            raise fail("GET /api/v1/me", me)


# --- load -----------------------------------------------------------------------------------


def discover(side: Side) -> None:
    """An administrative unit's code and a published article's slug, from the public lists."""
    import httpx

    units = httpx.get(f"{side.url}/api/v1/admin-units", timeout=30)
    if units.status_code == 200 and units.json().get("items"):
        side.code = units.json()["items"][0]["code"]
    articles = httpx.get(f"{side.url}/api/v1/articles", timeout=30)
    if articles.status_code == 200 and articles.json().get("items"):
        side.slug = articles.json()["items"][0]["slug"]


def request_headers(side: Side, workload: Workload) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if workload.signed_in:
        if time.monotonic() - side.token_at > TOKEN_MAX_AGE:
            asyncio.run(sign_in(side))
        headers["Authorization"] = f"Bearer {side.token}"
    if workload.conditional and workload.path in side.etags:
        headers["If-None-Match"] = side.etags[workload.path]
    if workload.refresh_body:
        headers["Content-Type"] = "application/json"
    return headers


def path_of(side: Side, workload: Workload) -> str | None:
    if "{code}" in workload.path and not side.code:
        return None
    if "{slug}" in workload.path and not side.slug:
        return None
    return workload.path.format(code=side.code, slug=side.slug)


def check(side: Side, workload: Workload) -> None:
    """One request before the load: the row is skipped (with the reason) unless it gets the
    expected status. Remembers the ETag a conditional row sends."""
    import httpx

    path = path_of(side, workload)
    if path is None:
        side.skipped[workload.key] = "no administrative unit or published article to ask for"
        return
    if workload.conditional:
        plain = httpx.get(side.url + path, headers={"Accept": "application/json"}, timeout=30)
        if "etag" not in plain.headers:
            side.skipped[workload.key] = f"{path} answered {plain.status_code} without an ETag"
            return
        side.etags[workload.path] = plain.headers["etag"]
    content = (
        b'{"grant_type":"refresh_token","refresh_token":"x"}' if workload.refresh_body else None
    )
    response = httpx.request(
        workload.method,
        side.url + path,
        headers=request_headers(side, workload),
        content=content,
        timeout=30,
    )
    if response.status_code != workload.expect:
        side.skipped[workload.key] = (
            f"{workload.method} {path} answered {response.status_code}, not {workload.expect}:"
            f" {response.text[:160]}"
        )


def measure(
    side: Side,
    workload: Workload,
    args: argparse.Namespace,
    seconds: int,
    wrk_cpus: set[int] | None,
    rate: float | None = None,
) -> Round:
    """One wrk run of a row against a side: saturating (closed loop), or paced at `rate`."""
    path = path_of(side, workload)
    assert path is not None
    script = side.directory / f"{workload.key}.lua"
    script.write_text(
        wrk_script(
            method=workload.method,
            headers=request_headers(side, workload),
            random_refresh_body=workload.refresh_body,
            pace_ms=None if rate is None else args.connections / rate * 1000,
        )
    )
    pids = process_tree(side.pid)
    database0, server0 = database_cpu(side), cpu_seconds(pids)
    result = run_wrk(
        side.url + path, script, connections=args.connections, seconds=seconds, cpus=wrk_cpus
    )
    server1, database1 = cpu_seconds(pids), database_cpu(side)
    return Round(
        wrk=result,
        server_cpu=server1 - server0,
        database_cpu=None if database0 is None or database1 is None else database1 - database0,
        offered=rate,
    )


def progress(done: int, total: int, what: str, result: Round) -> None:
    print(
        f"  [{done}/{total}] {what:<34} {result.rate:8.0f} req/s"
        f"  p99 {result.wrk.p99_us / 1000:7.1f} ms",
        file=sys.stderr,
        flush=True,
    )


def warm_up(
    pairs: list[tuple[Side, Workload]], args: argparse.Namespace, wrk_cpus: set[int] | None
) -> None:
    if args.warmup <= 0:
        return
    print(f"warming up every row ({args.warmup} s each)…", file=sys.stderr, flush=True)
    for side, workload in pairs:
        measure(side, workload, args, args.warmup, wrk_cpus)


def saturating_rounds(
    pairs: list[tuple[Side, Workload]],
    args: argparse.Namespace,
    wrk_cpus: set[int] | None,
    phase: str = "",
) -> None:
    """`--rounds` rounds; each runs every (side, row) in turn, so the rows alternate."""
    total, done = len(pairs) * args.rounds, 0
    for _ in range(args.rounds):
        for side, workload in pairs:
            result = measure(side, workload, args, args.seconds, wrk_cpus)
            side.rounds.setdefault(phase + workload.key, []).append(result)
            done += 1
            progress(done, total, f"{phase}{workload.key} {side.name}", result)


def median_rate(rounds: list[Round]) -> float:
    return statistics.median(r.rate for r in rounds) if rounds else float("nan")


def paced_rounds(
    side: Side, keys: list[str], args: argparse.Namespace, wrk_cpus: set[int] | None
) -> None:
    """The paced phase: each route at half its median saturating rate, alternating."""
    rates = {key: median_rate(side.rounds[key]) / 2 for key in keys}
    total, done = len(keys) * args.rounds, 0
    print("paced phase: each route at half its saturating rate…", file=sys.stderr, flush=True)
    for _ in range(args.rounds):
        for key in keys:
            result = measure(side, BY_KEY[key], args, args.seconds, wrk_cpus, rate=rates[key])
            side.rounds.setdefault("paced:" + key, []).append(result)
            done += 1
            progress(done, total, f"paced {key} @ {rates[key]:.0f}/s", result)


# --- report ---------------------------------------------------------------------------------


@dataclass
class Row:
    rate: float
    rounds: str
    p50: float  # ms
    p99: float  # ms
    server_ms: float  # CPU ms per request
    database_ms: float
    wrk_cpu: float  # share of one core
    errors: str
    offered: float | None = None


def summarize(rounds: list[Round]) -> Row:
    requests = sum(r.wrk.requests for r in rounds)
    seconds = sum(r.wrk.seconds for r in rounds)
    per_request = 1000 / requests if requests else float("nan")
    database = [r.database_cpu for r in rounds]
    errors: dict[str, int] = {}
    for r in rounds:
        for kind, count in r.wrk.errors.items():
            if count:
                errors[kind] = errors.get(kind, 0) + count
    offered = [r.offered for r in rounds if r.offered]
    return Row(
        rate=median_rate(rounds),
        rounds=" ".join(f"{r.rate:.0f}" for r in rounds),
        p50=statistics.median(r.wrk.p50_us for r in rounds) / 1000,
        p99=statistics.median(r.wrk.p99_us for r in rounds) / 1000,
        server_ms=sum(r.server_cpu for r in rounds) * per_request,
        database_ms=(
            float("nan")
            if None in database
            else sum(d for d in database if d is not None) * per_request
        ),
        wrk_cpu=sum(r.wrk.cpu for r in rounds) / seconds if seconds else float("nan"),
        errors=" ".join(f"{kind}×{count}" for kind, count in errors.items()) or "none",
        offered=statistics.median(offered) if offered else None,
    )


def ratio(current: float, baseline: float) -> str:
    if not baseline or baseline != baseline or current != current:
        return "n/a"
    return f"{current / baseline:.2f}×"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(header: list[tuple[str, int]], rows: list[list[str]]) -> None:
    """Left-aligned first column, the others right-aligned."""
    line = " ".join(
        f"{name:<{width}}" if i == 0 else f"{name:>{width}}"
        for i, (name, width) in enumerate(header)
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            " ".join(
                f"{cell:<{header[i][1]}}" if i == 0 else f"{cell:>{header[i][1]}}"
                for i, cell in enumerate(row)
            )
        )


def memory_rows(sides: list[Side], limit: bool) -> tuple[list[list[str]], list[bool]]:
    rows, verdicts = [], []
    for side in sides:
        for pid, end in side.memory_at_end.items():
            role = side.roles.get(pid, "?")
            start = side.memory_at_start.get(pid, {}).get("VmRSS")
            growth = (end["VmRSS"] - start) / 1024 if start else float("nan")
            judged = limit and not side.bare and role in ("server", "worker")
            ok = growth == growth and growth <= RSS_GROWTH_LIMIT_MB
            if judged:
                verdicts.append(ok)
            rows.append(
                [
                    side.name,
                    str(pid),
                    role,
                    f"{start / 1024:.1f}" if start else "n/a",
                    f"{end['VmRSS'] / 1024:.1f}",
                    f"{growth:+.1f}",
                    f"{end['VmHWM'] / 1024:.1f}",
                    verdict(ok) if judged else "",
                ]
            )
    return rows, verdicts


MEMORY_HEADER = [
    ("server", 10),
    ("pid", 8),
    ("process", 16),
    ("RSS start MB", 12),
    ("RSS end MB", 10),
    ("growth", 7),
    ("VmHWM MB", 8),
    (f"≤ +{RSS_GROWTH_LIMIT_MB:g} MB", 9),
]


def log_lines(sides: list[Side]) -> list[str]:
    notes = []
    for side in sides:
        if side.bare:
            continue
        requests, errors = log_problems(side)
        print(f"{side.name} server log: {requests} request lines, {errors} error lines")
        if errors:
            notes.append(f"the {side.name} server logged {errors} errors")
    return notes


def log_problems(side: Side) -> tuple[int, int]:
    """(request lines, error lines) in the server's JSON log."""
    requests = errors = 0
    with side.log.open(errors="replace") as log:
        for line in log:
            if '"msg":"request"' in line:
                requests += 1
            elif '"level":"error"' in line or '"level":"critical"' in line:
                errors += 1
    return requests, errors


def report_targets(args: argparse.Namespace, sides: dict[str, Side], keys: list[str]) -> None:
    bare, w1, w2 = sides["bare"], sides["w1"], sides.get("w2")
    print()
    print("command:  " + shlex.join([sys.executable, "-m", "bench.http", *sys.argv[1:]]))
    print(f"code:     {describe_working_tree()}")
    print(f"data:     {w1.seeded}; unit {w1.code or '?'}, article {w1.slug or '?'}")
    print(f"pinning:  {args.pinning}")
    print(
        f"load:     wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating"
        f" rounds after a {args.warmup} s warm-up per row; req/s, p50, p99: medians of the"
        f" rounds; {os.cpu_count()} CPUs, shared with other work: read the ratios"
    )
    print(f"throttles set to {NO_THROTTLE}/min: {', '.join(w1.throttles)}")
    results = {}
    for key in keys:
        side = bare if BY_KEY[key].bare else w1
        if side.rounds.get(key):
            results[key] = summarize(side.rounds[key])
    base = results.get(BASELINE_ROW)
    base_rate = base.rate if base else float("nan")
    print()
    print(
        f"Saturating load (closed loop), server on one CPU — ratio to {BY_KEY[BASELINE_ROW].label}"
    )
    header = [
        ("row", 40),
        ("req/s", 7),
        ("× row", 6),
        ("p50 ms", 7),
        ("p99 ms", 7),
        ("srv CPU ms/req", 14),
        ("pg ms/req", 9),
        ("wrk CPU", 7),
        ("errors", 8),
        ("target", 8),
        ("", 4),
    ]
    rows, failures = [], []
    for key in keys:
        workload = BY_KEY[key]
        side = bare if workload.bare else w1
        if key in side.skipped:
            rows.append([workload.label, "skipped", "", "", "", "", "", "", "", "", ""])
            continue
        row = results[key]
        target, result = "", ""
        if workload.target is not None:
            ok = row.rate >= workload.target * base_rate
            target, result = f"≥ {workload.target:.2f}×", verdict(ok)
            if not ok:
                failures.append(key)
        rows.append(
            [
                workload.label,
                f"{row.rate:.0f}",
                ratio(row.rate, base_rate),
                f"{row.p50:.2f}",
                f"{row.p99:.2f}",
                f"{row.server_ms:.3f}",
                f"{row.database_ms:.3f}",
                f"{row.wrk_cpu:.0%}",
                row.errors,
                target,
                result,
            ]
        )
    print_table(header, rows)
    if CEILING_ROW in results and base:
        ceiling = results[CEILING_ROW]
        print(
            f"generator ceiling: wrk reached {ceiling.rate:.0f} req/s on the bare JSON route using"
            f" {ceiling.wrk_cpu:.0%} of its CPU; the baseline row is"
            f" {ratio(base.rate, ceiling.rate)} of that"
            + (
                " (wrk is not the bottleneck)"
                if ceiling.rate > 1.5 * base.rate
                else " (close: wrk may set the pace)"
            )
        )
    if "units" in results and "units-304" in results:
        full, cached = results["units"], results["units-304"]
        ok = cached.server_ms <= full.server_ms / 2
        print(
            f"304 vs 200 (GET /api/v1/admin-units): server CPU per request"
            f" {cached.server_ms:.3f} / {full.server_ms:.3f} ms = "
            f"{ratio(cached.server_ms, full.server_ms)} (target ≤ 0.50×) {verdict(ok)};"
            f" by time per request (1/req/s): {ratio(full.rate, cached.rate)}"
        )
    paced = [key for key in keys if w1.rounds.get("paced:" + key)]
    if paced:
        print()
        print(
            "p99 at half the saturating rate (wrk with a random exponential delay() per"
            f" connection, {args.connections} connections) — target p99 < {P99_LIMIT_MS:g} ms"
        )
        rows = []
        for key in paced:
            row = summarize(w1.rounds["paced:" + key])
            rows.append(
                [
                    BY_KEY[key].label,
                    f"{row.offered:.0f}",
                    f"{row.rate:.0f}",
                    f"{row.p50:.2f}",
                    f"{row.p99:.2f}",
                    row.errors,
                    verdict(row.p99 < P99_LIMIT_MS),
                ]
            )
        print_table(
            [
                ("row", 40),
                ("offered/s", 9),
                ("achieved/s", 10),
                ("p50 ms", 7),
                ("p99 ms", 7),
                ("errors", 8),
                ("", 4),
            ],
            rows,
        )
        print(
            "  caveat: the pause follows each answer (achieved < offered), and wrk times a"
            " request from its sending, so requests a stall delayed are not counted late"
            " (coordinated omission): under stalls this p99 is optimistic."
        )
    if w2 is not None and w2.rounds.get(WORKERS_ROW):
        one, two = summarize(w1.rounds["w:" + WORKERS_ROW]), summarize(w2.rounds[WORKERS_ROW])
        print()
        print(
            f"--workers 2 vs 1 on {BY_KEY[WORKERS_ROW].label}, servers and wrk unpinned"
            " (sharing both CPUs) — target: 2 workers ≥ 1 worker"
        )
        print_table(
            [("server", 40), ("req/s", 7), ("ratio", 6), ("p50 ms", 7), ("p99 ms", 7), ("", 4)],
            [
                [
                    "ctn serve --workers 1",
                    f"{one.rate:.0f}",
                    "1.00×",
                    f"{one.p50:.2f}",
                    f"{one.p99:.2f}",
                    "",
                ],
                [
                    "ctn serve --workers 2",
                    f"{two.rate:.0f}",
                    ratio(two.rate, one.rate),
                    f"{two.p50:.2f}",
                    f"{two.p99:.2f}",
                    verdict(two.rate >= one.rate),
                ],
            ],
        )
    print()
    print(
        "Memory (VmRSS from /proc) after start and after the load — target"
        f" ≤ +{RSS_GROWTH_LIMIT_MB:g} MB per worker"
    )
    rows, _ = memory_rows([s for s in (bare, w1, w2) if s is not None], limit=True)
    print_table(MEMORY_HEADER, rows)
    print()
    notes = log_lines([w1, *([w2] if w2 else [])])
    for each in (bare, w1, w2):
        if each is not None:
            for key, why in each.skipped.items():
                notes.append(f"{each.name}: {key} skipped: {why}")
    for note in notes:
        print(f"NOTE: {note}")


def describe_working_tree() -> str:
    head = git("log", "-1", "--format=%h — %s", "HEAD")
    head = head if len(head) <= 80 else head[:79] + "…"
    return head + (" + uncommitted changes" if git("status", "--porcelain") else "")


def report_baseline(
    args: argparse.Namespace, sides: list[Side], keys: list[str], same_code: bool
) -> None:
    baseline, current = sides
    print()
    print("command:  " + shlex.join([sys.executable, "-m", "bench.http", *sys.argv[1:]]))
    print(f"baseline: {baseline.revision}")
    print(f"current:  {current.revision}")
    if same_code:
        print("          (both sides run the same code: the differences below are noise)")
    for side in sides:
        print(
            f"{side.name} data: {side.seeded}; unit {side.code or '?'}, article {side.slug or '?'}"
        )
        print(f"{side.name} throttles set to {NO_THROTTLE}/min: {', '.join(side.throttles)}")
    print(f"pinning:  {args.pinning}")
    print(
        f"load:     wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds per side"
        f" and row after a {args.warmup} s warm-up, alternating baseline/current;"
        f" `ctn serve --workers {args.workers}` per side; req/s, p50, p99: medians of the"
        " rounds; srv/pg CPU ms/req: server processes' / PostgreSQL backends' CPU per request;"
        " wrk CPU: the generator's share of its core (near 100 %: it sets the pace)"
    )
    header = [
        ("side", 17),
        ("req/s", 7),
        ("rounds (req/s)", 24),
        ("p50 ms", 7),
        ("p99 ms", 7),
        ("srv CPU ms/req", 14),
        ("pg ms/req", 9),
        ("wrk CPU", 7),
        ("errors", 8),
    ]
    notes = []
    for key in keys:
        workload = BY_KEY[key]
        print()
        print(
            f"{workload.label} — expected {workload.expect}"
            + (" (wrk counts answers ≥ 400 as status errors)" if workload.expect >= 400 else "")
        )
        if any(key in side.skipped for side in sides):
            for side in sides:
                if key in side.skipped:
                    print(f"  skipped: {side.name}: {side.skipped[key]}")
            continue
        b, c = summarize(baseline.rounds[key]), summarize(current.rounds[key])
        rows = [
            [
                name,
                f"{row.rate:.0f}",
                row.rounds,
                f"{row.p50:.2f}",
                f"{row.p99:.2f}",
                f"{row.server_ms:.3f}",
                f"{row.database_ms:.3f}",
                f"{row.wrk_cpu:.0%}",
                row.errors,
            ]
            for name, row in (("baseline", b), ("current", c))
        ]
        rows.append(
            [
                "current/baseline",
                ratio(c.rate, b.rate),
                "",
                ratio(c.p50, b.p50),
                ratio(c.p99, b.p99),
                ratio(c.server_ms, b.server_ms),
                ratio(c.database_ms, b.database_ms),
                "",
                "",
            ]
        )
        print_table(header, rows)
    print()
    print("Server processes' memory (VmRSS from /proc, after start and sign-in, and at the end)")
    rows, _ = memory_rows(sides, limit=False)
    print_table(MEMORY_HEADER[:-1], [row[:-1] for row in rows])
    print()
    notes += log_lines(sides)
    for note in notes:
        print(f"NOTE: {note}")


# --- the two modes --------------------------------------------------------------------------


def pin_plan(args: argparse.Namespace) -> tuple[set[int] | None, set[int] | None]:
    """(the servers' CPUs, wrk's CPUs) and `args.pinning`, the sentence that says so."""
    cpus = usable_cpus()
    if args.no_pin or len(cpus) < 2:
        why = "--no-pin" if args.no_pin else f"only {len(cpus)} usable CPU"
        args.pinning = f"none ({why}): servers, wrk and PostgreSQL share every CPU"
        return None, None
    server, generator = {cpus[0]}, {cpus[1]}
    if not shutil.which("taskset"):
        args.pinning = "none (taskset is missing): servers, wrk and PostgreSQL share every CPU"
        return None, None
    args.pinning = (
        f"servers on CPU {cpus[0]}, wrk on CPU {cpus[1]} (taskset -c); PostgreSQL unpinned"
        f" (the --workers comparison: everything unpinned)"
    )
    return server, generator


def start(side: Side, stack: contextlib.ExitStack) -> None:
    stack.enter_context(serving(side))
    if not side.bare:
        asyncio.run(sign_in(side))


def run_targets(args: argparse.Namespace, keys: list[str], directory: Path) -> None:
    server_cpus, wrk_cpus = pin_plan(args)
    w1 = Side("w1", REPO, "working tree", directory / "w1", cpus=server_cpus)
    bare = Side("bare", REPO, "bench.bare_app", directory / "bare", bare=True, cpus=server_cpus)
    w2 = Side("w2", REPO, "working tree", directory / "w2", workers=2)
    for side in (w1, bare, w2):
        side.directory.mkdir()
    with scratch_databases([w1]), contextlib.ExitStack() as stack:
        bare.database_url = w2.database_url = w1.database_url
        print("migrating and seeding the scratch database…", file=sys.stderr, flush=True)
        prepare([w1])
        seed(w1, args.seed)
        print(f"  data: {w1.seeded}", file=sys.stderr, flush=True)
        for side in (bare, w1):
            start(side, stack)
        discover(w1)
        bare.code = w1.code
        pairs = []
        for key in keys:
            side = bare if BY_KEY[key].bare else w1
            check(side, BY_KEY[key])
            if key not in side.skipped:
                pairs.append((side, BY_KEY[key]))
        for side in (bare, w1):
            side.memory_at_start = tree_memory(side.pid)
        warm_up(pairs, args, wrk_cpus)
        saturating_rounds(pairs, args, wrk_cpus)
        paced = [key for key in keys if BY_KEY[key].paced and w1.rounds.get(key)]
        paced_rounds(w1, paced, args, wrk_cpus)
        for side in (bare, w1):
            side.memory_at_end = tree_memory(side.pid)
            side.roles = process_roles(side.pid)
        if args.workers_row and WORKERS_ROW not in w1.skipped and w1.rounds.get(WORKERS_ROW):
            print("--workers 2 against 1, unpinned…", file=sys.stderr, flush=True)
            for pid in process_tree(w1.pid):
                repin(pid, set(usable_cpus()))
            start(w2, stack)
            w2.code = w1.code
            w2.memory_at_start = tree_memory(w2.pid)
            workload = BY_KEY[WORKERS_ROW]
            warm_up([(w2, workload)], args, None)
            total, done = 2 * args.rounds, 0
            for _ in range(args.rounds):
                for side, name in ((w1, "w:" + WORKERS_ROW), (w2, WORKERS_ROW)):
                    result = measure(side, workload, args, args.seconds, None)
                    side.rounds.setdefault(name, []).append(result)
                    done += 1
                    progress(done, total, f"{WORKERS_ROW} --workers {side.workers}", result)
            w2.memory_at_end = tree_memory(w2.pid)
            w2.roles = process_roles(w2.pid)
        report_targets(
            args, {"bare": bare, "w1": w1, "w2": w2} if w2.pid else {"bare": bare, "w1": w1}, keys
        )


def run_baseline(args: argparse.Namespace, keys: list[str], directory: Path) -> None:
    commit, baseline_label, current_label, same_code = describe_revisions(args.baseline)
    server_cpus, wrk_cpus = pin_plan(args)
    with contextlib.ExitStack() as stack:
        baseline_tree = stack.enter_context(worktree(commit, directory / "baseline-tree"))
        sides = [
            Side("baseline", baseline_tree, baseline_label, directory / "baseline"),
            Side("current", REPO, current_label, directory / "current"),
        ]
        for side in sides:
            side.directory.mkdir()
            side.cpus, side.workers = server_cpus, args.workers
        stack.enter_context(scratch_databases(sides))
        print("migrating and seeding both scratch databases…", file=sys.stderr, flush=True)
        prepare(sides)
        for side in sides:
            seed(side, args.seed)
            print(f"  {side.name} data: {side.seeded}", file=sys.stderr, flush=True)
        for side in sides:  # one after the other: a failed start leaves nothing running
            start(side, stack)
        for side in sides:
            discover(side)
            for key in keys:
                check(side, BY_KEY[key])
            side.memory_at_start = tree_memory(side.pid)
        measured = [key for key in keys if not any(key in side.skipped for side in sides)]
        pairs = [(side, BY_KEY[key]) for key in measured for side in sides]
        warm_up(pairs, args, wrk_cpus)
        total, done = len(pairs) * args.rounds, 0
        for key in measured:
            for _ in range(args.rounds):
                for side in sides:  # baseline, current, baseline, current, …
                    result = measure(side, BY_KEY[key], args, args.seconds, wrk_cpus)
                    side.rounds.setdefault(key, []).append(result)
                    done += 1
                    progress(done, total, f"{key} {side.name}", result)
        for side in sides:
            side.memory_at_end = tree_memory(side.pid)
            side.roles = process_roles(side.pid)
        report_baseline(args, sides, keys, same_code)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="compare the working tree with this git revision instead of measuring the"
        " targets (HEAD: the uncommitted changes; 6640eb5: before the request-path changes)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="counted seconds per round")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per row, once")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument(
        "--quick", action="store_true", help="2 rounds of 3 s, 1 s warm-up (overrides those)"
    )
    parser.add_argument(
        "--connections", "--concurrency", type=int, default=32, help="wrk -c (default 32)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="`ctn serve --workers` per side (--baseline only)"
    )
    parser.add_argument(
        "--seed",
        choices=("demo", "minimal"),
        default="demo",
        help="demo: `ctn seed`, falling back to minimal when it fails; minimal:"
        " bench/http_data.py (the public demo articles, no media)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk")
    parser.add_argument(
        "--no-workers-row",
        dest="workers_row",
        action="store_false",
        help="skip the `--workers 2` comparison",
    )
    parser.add_argument(
        "--workloads",
        default=None,
        help="comma-separated rows, from: "
        + ", ".join(w.key for w in WORKLOADS)
        + f" (default: {','.join(TARGET_ROWS)}; with --baseline: {','.join(BASELINE_ROWS)})",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 2, 3, 1
    default = BASELINE_ROWS if args.baseline else TARGET_ROWS
    keys = args.workloads.split(",") if args.workloads else list(default)
    unknown = [key for key in keys if key not in BY_KEY]
    if unknown or min(args.rounds, args.connections, args.seconds, args.workers) < 1:
        parser.error(f"unknown rows {unknown}, or fewer than 1 round, connection, second, worker")
    if args.baseline and any(BY_KEY[key].bare for key in keys):
        parser.error("the bare rows have no baseline revision: leave them out with --baseline")
    if not args.baseline and BASELINE_ROW not in keys:
        keys.insert(0, BASELINE_ROW)  # every ratio is to it
    if not shutil.which("wrk"):
        sys.exit("bench.http: wrk is missing (Debian: apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(
        prefix="ctn-bench-http-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        if args.baseline:
            run_baseline(args, keys, Path(tmp))
        else:
            run_targets(args, keys, Path(tmp))


if __name__ == "__main__":
    main()
