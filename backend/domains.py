"""The one list of domains. A new domain registers here, once, and everything that must know
about it is derived from this list: the Piccolo apps (migrations), the job modules, the HTTP
routes, the demo data and the tables the committed tests empty.

Entries name modules by import path, so that reading the list imports nothing: the Piccolo
configuration reads it before the settings of a command are final.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.settings import Settings


@dataclass(frozen=True)
class Demo:
    """A step of the demo data: `loader` is "module:function", an async function taking the
    settings; steps run in the order of the domains, in one transaction."""

    label: str
    loader: str


@dataclass(frozen=True)
class Domain:
    name: str
    piccolo_app: str | None = None
    """Module of the domain's Piccolo app (`piccolo_app.py`), if it has tables."""
    tasks: str | None = None
    """Module of its background jobs (`tasks.py`)."""
    routes: tuple[str, ...] = ()
    """Its route handlers, "module:attribute" (a controller, or a list of them)."""
    pages: str | None = None
    """Module of its staff console pages (`pages.py`; see backend.console.shell)."""
    dev_only: bool = False
    """Routes mounted only with the development identity provider (`CTN_DEV_IDP=1`)."""
    demo: tuple[Demo, ...] = ()
    test_tables: tuple[str, ...] = field(default=())
    """Tables that tests which really commit leave behind, emptied after each of them
    (`TRUNCATE … CASCADE`, so tables referencing these are emptied too)."""


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "queue",
        piccolo_app="backend.queue.piccolo_app",
        test_tables=("procrastinate_jobs", "procrastinate_periodic_defers"),
    ),
    Domain("system", piccolo_app="backend.system.piccolo_app", test_tables=("installation_state",)),
    Domain(
        "health",
        routes=("backend.health.endpoints:HealthController",),
    ),
    Domain(
        "audit",
        piccolo_app="backend.audit.piccolo_app",
        routes=("backend.audit.endpoints:AuditController",),
        pages="backend.audit.pages",
    ),
    Domain(
        "geo",
        piccolo_app="backend.geo.piccolo_app",
        tasks="backend.geo.tasks",
        routes=("backend.geo.endpoints:AdministrativeUnitController",),
        pages="backend.geo.pages",
        demo=(Demo("administrative units", "seed.demo:administrative_units"),),
    ),
    Domain(
        "identity",
        piccolo_app="backend.identity.piccolo_app",
        tasks="backend.identity.tasks",
        routes=("backend.identity.endpoints:ROUTE_HANDLERS",),
        pages="backend.identity.pages",
        demo=(
            Demo("agencies, police units and people of every role", "seed.identity:seed_people"),
        ),
        test_tables=(
            "persons",
            "agencies",
            "police_units",
            "login_flows",
            "throttle_counters",
        ),
    ),
    Domain(
        "devidp",
        piccolo_app="backend.devidp.piccolo_app",
        routes=("backend.devidp.endpoints:DevIdentityProviderController",),
        dev_only=True,
        test_tables=("dev_idp_codes", "dev_idp_access_tokens"),
    ),
    Domain(
        "http",
        piccolo_app="backend.http.piccolo_app",
        tasks="backend.http.tasks",
        test_tables=("idempotency_keys",),
    ),
    Domain(
        "content",
        piccolo_app="content.piccolo_app",
        tasks="content.tasks",
        routes=(
            "content.endpoints:MediaController",
            "content.endpoints:MediaObjectController",
            "content.articles.endpoints:ArticleController",
        ),
        pages="content.pages",
        test_tables=("articles",),
        demo=(
            Demo(
                "media and articles (a short video transcoded, articles for every audience)",
                "seed.content:seed_content",
            ),
        ),
    ),
    Domain(
        "notifications",
        piccolo_app="notifications.piccolo_app",
        tasks="notifications.tasks",
        routes=("notifications.endpoints:ROUTE_HANDLERS",),
        pages="notifications.pages",
        test_tables=(
            "devices",
            "notification_profiles",
            "campaigns",
            "inbox_items",
        ),
        demo=(
            Demo(
                "communications: devices, campaigns sent and in the workflow, inbox, surveys",
                "seed.notifications:seed_notifications",
            ),
        ),
    ),
    Domain(
        "tips",
        piccolo_app="backend.tips.piccolo_app",
        tasks="backend.tips.tasks",
        routes=("backend.tips.endpoints:ROUTE_HANDLERS",),
        pages="backend.tips.pages",
        test_tables=("tips", "tip_challenges", "tip_counters"),
        demo=(
            Demo(
                "crime reports: anonymous and confidential, in every status, with messages",
                "seed.tips:seed_tips",
            ),
        ),
    ),
    Domain(
        "welfare",
        piccolo_app="backend.welfare.piccolo_app",
        tasks="backend.welfare.tasks",
        routes=("backend.welfare.endpoints:ROUTE_HANDLERS",),
        pages="backend.welfare.pages",
        test_tables=(
            "welfare_programmes",
            "welfare_beneficiaries",
            "welfare_imports",
            "welfare_periods",
        ),
        demo=(
            Demo(
                "welfare: programmes, a beneficiary list imported (a mismatch flag), a period paid",
                "seed.welfare:seed_welfare",
            ),
        ),
    ),
    Domain(
        "mooc",
        piccolo_app="mooc.piccolo_app",
        tasks="mooc.tasks",
        routes=("mooc.endpoints:ROUTE_HANDLERS",),
        pages="mooc.pages",
        test_tables=(
            "mooc_courses",
            "mooc_course_versions",
            "mooc_enrolments",
            "mooc_assignments",
        ),
        demo=(
            Demo(
                "courses: transcoded video lessons, readings, quizzes, mandatory training, "
                "learners at every stage, certificates",
                "seed.mooc:seed_mooc",
            ),
        ),
    ),
)


def piccolo_apps() -> list[str]:
    return [d.piccolo_app for d in DOMAINS if d.piccolo_app]


def task_modules() -> list[str]:
    return [d.tasks for d in DOMAINS if d.tasks]


def route_handlers(*, dev_idp: bool) -> list[Any]:
    """Every domain's route handlers, in the order of the list (the development provider's
    only with `dev_idp`)."""
    handlers: list[Any] = []
    for domain in DOMAINS:
        if domain.dev_only and not dev_idp:
            continue
        for path in domain.routes:
            found = _resolve(path)
            handlers.extend(found if isinstance(found, list | tuple) else [found])
    return handlers


def page_modules() -> list[str]:
    return [d.pages for d in DOMAINS if d.pages]


def demo_steps() -> list[tuple[str, Callable[[Settings], Awaitable[object]]]]:
    return [(step.label, _resolve(step.loader)) for d in DOMAINS for step in d.demo]


def test_tables() -> list[str]:
    return [table for d in DOMAINS for table in d.test_tables]


def _resolve(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
