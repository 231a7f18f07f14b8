"""Cheap checks that keep the layers apart (see ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["backend", "mobile_bridge", "seed", "content", "mooc", "notifications"]
# Files allowed to touch Piccolo tables and queries (and `<part>_repository.py`, the queries of
# one part of a domain, e.g. backend/tips/police_repository.py).
QUERY_FILES = {"repository.py", "tables.py", "piccolo_app.py"}
# Infrastructure that runs transactions and migrations rather than queries on tables.
INFRASTRUCTURE = {ROOT / "backend" / "db.py", ROOT / "backend" / "piccolo_conf.py"}


def python_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "piccolo_migrations" not in path.parts:
                files.append(path)
    return files


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def service_modules() -> set[Path]:
    """Every `service.py`, and the modules of its own domain folder it imports, directly or
    through one another (a service split by what it does, re-exported by its service.py)."""
    found: set[Path] = set()
    todo = [path for path in python_files() if path.name == "service.py"]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        for module in imported_modules(path):
            target = ROOT / Path(*module.split(".")).with_suffix(".py")
            if target.parent == path.parent and target.exists():
                todo.append(target)
    return found


def test_no_service_imports_litestar() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in service_modules()
        if any(m == "litestar" or m.startswith("litestar.") for m in imported_modules(path))
    ]
    assert offenders == []


def test_a_split_service_is_checked_too() -> None:
    modules = service_modules()
    assert ROOT / "backend" / "identity" / "signin.py" in modules
    assert ROOT / "backend" / "identity" / "endpoints.py" not in modules


def test_no_piccolo_query_outside_repository() -> None:
    offenders = []
    for path in python_files():
        if (
            path.name in QUERY_FILES
            or path.name.endswith("_repository.py")
            or path in INFRASTRUCTURE
        ):
            continue
        for module in imported_modules(path):
            if module.endswith(".tables") or module in {
                "piccolo.table",
                "piccolo.columns",
                "piccolo.query",
            }:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


PUBLIC_MODULES = {"service", "schemas", "errors"}
"""What a domain may use of another domain."""
SHARED_DOMAINS = {"backend.http"}
"""Registered for their table, but the shared HTTP conventions every domain uses."""


def domain_packages() -> list[str]:
    """Each registered domain's package ("backend.identity", "content", ...)."""
    from backend import domains

    packages = []
    for domain in domains.DOMAINS:
        paths = [domain.piccolo_app, domain.tasks, *(r.split(":")[0] for r in domain.routes)]
        modules = [p.rsplit(".", 1)[0] for p in paths if p]
        packages.append(min(modules, key=len))
    return packages


def imported_names(path: Path) -> set[str]:
    """Imported modules, and `package.name` for each `from package import name`."""
    names = imported_modules(path)
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def domain_of(module: str, packages: list[str]) -> str | None:
    matches = [p for p in packages if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def test_domains_use_each_other_only_through_service_schemas_and_errors() -> None:
    packages = domain_packages()
    offenders = []
    for path in python_files():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = domain_of(module, packages)
        if own is None:
            continue
        for name in imported_names(path):
            other = domain_of(name, packages)
            if other is None or other in (own, name) or other in SHARED_DOMAINS:
                continue
            first = name[len(other) + 1 :].split(".")[0]
            if first not in PUBLIC_MODULES:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_this_check_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "service.py"
    bad.write_text("from litestar import get\nfrom backend.geo.tables import AdministrativeUnit\n")
    assert "litestar" in imported_modules(bad)
    assert "backend.geo.tables" in imported_modules(bad)


def test_every_domain_is_registered_in_the_one_list() -> None:
    """A Piccolo app or a tasks module that `backend.domains.DOMAINS` does not name would be
    silently left out of migrations or the worker."""
    from backend import domains

    def module_of(path: Path) -> str:
        return ".".join(path.relative_to(ROOT).with_suffix("").parts)

    apps = {module_of(p) for p in python_files() if p.name == "piccolo_app.py"}
    tasks = {module_of(p) for p in python_files() if p.name == "tasks.py"}
    assert apps == set(domains.piccolo_apps())
    assert tasks == set(domains.task_modules())
    # Every controller a domain defines is mounted.
    from litestar import Controller

    mounted = set(domains.route_handlers(dev_idp=True))
    for path in python_files():
        if path.name != "endpoints.py":
            continue
        module = __import__(module_of(path), fromlist=["*"])
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Controller)
                and value is not Controller
                and value.__module__ == module.__name__
            ):
                assert value in mounted, f"{value.__name__} is not in backend.domains"


def test_settings_are_read_once_per_process() -> None:
    """Code reads the process's settings (`get_settings`), read once; only the settings module
    and the command line (which validates them at start) read the environment."""
    allowed = {ROOT / "backend" / "settings.py", ROOT / "backend" / "cli.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if path not in allowed and "load_settings(" in path.read_text()
    ]
    assert offenders == []
