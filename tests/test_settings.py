"""Settings: typed, validated at start, one line naming the variable on error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from backend.settings import SettingsError, describe, load_settings


def test_defaults_apply_when_the_environment_is_empty() -> None:
    settings = load_settings({})
    assert settings.port == 8000
    assert settings.database_url is None
    assert str(settings.media_path).endswith("var/media")


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"CTN_PORT": "abc"}, "CTN_PORT"),
        ({"CTN_PORT": "70000"}, "CTN_PORT"),
        ({"CTN_LOG_LEVEL": "LOUD"}, "CTN_LOG_LEVEL"),
        ({"DATABASE_URL": "mysql://root@localhost/db"}, "DATABASE_URL"),
        ({"CTN_DB_POOL_MIN": "20", "CTN_DB_POOL_MAX": "5"}, "CTN_DB_POOL_MIN"),
        ({"CTN_PROVINCE_CODE": "Thai Nguyen"}, "CTN_PROVINCE_CODE"),
    ],
)
def test_a_malformed_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        ({"CTN_LOG_LEVEL": "LOUD"}, "must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"CTN_STORAGE_BACKEND": "ftp"}, "must be one of local, s3"),
        ({"CTN_DEV_IDP": "maybe"}, "must be one of 0, 1, true, false"),
    ],
)
def test_an_enumerated_setting_lists_its_allowed_values(
    environ: dict[str, str], allowed: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert allowed in str(caught.value)


@pytest.mark.parametrize("code", ["3", "99", "0"])
def test_the_province_code_must_name_a_province_that_exists(code: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"CTN_PROVINCE_CODE": code})
    assert caught.value.variable == "CTN_PROVINCE_CODE"
    assert f"no province has code {code!r}" in str(caught.value)
    assert load_settings({"CTN_PROVINCE_CODE": "1"}).province_code == "1"  # Hà Nội


def test_describe_tells_the_source_and_hides_the_password() -> None:
    environ = {"DATABASE_URL": "postgresql://app:s3cret@db.internal/ctn", "CTN_PORT": "9000"}
    rows = {
        name: (value, source) for name, value, source in describe(load_settings(environ), environ)
    }
    assert rows["CTN_PORT"] == ("9000", "env")
    assert rows["CTN_HOST"] == ("127.0.0.1", "default")
    assert "s3cret" not in rows["DATABASE_URL"][0]
    assert rows["DATABASE_URL"][1] == "env"


def run_ctn(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_bad_setting_stops_the_cli_with_one_line_and_no_traceback(
    subprocess_env: dict[str, str],
) -> None:
    result = run_ctn("serve", env={**subprocess_env, "CTN_PORT": "eighty"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "CTN_PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_serve_without_database_url_says_so(subprocess_env: dict[str, str]) -> None:
    result = run_ctn("serve", env=subprocess_env)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_prints_sources_and_passes_against_the_test_database(
    subprocess_env: dict[str, str], server_url: str, database_name: str
) -> None:
    env = {
        **subprocess_env,
        "DATABASE_URL": server_url.format(db=database_name),
        "CTN_DEV_IDP": "1",  # else the missing identity provider fails the check
    }
    result = run_ctn("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DATABASE_URL" in result.stdout
    assert "[env]" in result.stdout
    assert "[default]" in result.stdout
    for component in ("database", "media", "job_queue"):
        assert f"✔ {component}" in result.stdout


def test_check_fails_when_the_database_does_not_answer(subprocess_env: dict[str, str]) -> None:
    from tests.conftest import free_port

    env = {
        **subprocess_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x",
        "CTN_DB_TIMEOUT_SECONDS": "2",
    }
    result = run_ctn("check", env=env)
    assert result.returncode == 1
    assert "✘" in result.stdout


@pytest.mark.parametrize("command", ["demo", "serve", "worker", "migrate", "seed", "check"])
def test_every_command_has_help(command: str, subprocess_env: dict[str, str]) -> None:
    result = run_ctn(command, "--help", env=subprocess_env)
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_migrate_and_seed_are_idempotent(
    subprocess_env: dict[str, str], server_url: str, database_name: str
) -> None:
    env = {**subprocess_env, "DATABASE_URL": server_url.format(db=database_name)}
    for _ in range(2):
        migrated = run_ctn("migrate", env=env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert "92 units of province 19 (0 new, 0 removed)" in migrated.stdout
        seeded = run_ctn("seed", env=env)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        assert "demo data loaded" in seeded.stdout
