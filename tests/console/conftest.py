"""The console over real HTTP: the served app with the development provider (shared with the
identity tests), signed in through the web flow."""

from __future__ import annotations

from tests.identity.conftest import http, live  # noqa: F401  # fixtures
