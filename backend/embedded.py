"""A private PostgreSQL for the embedded default (`ctn demo`) and for tests without a server.

The `pgserver` package ships PostgreSQL binaries; the cluster lives in `<data_dir>/postgres`,
listens only on a Unix socket, and is stopped when `stop()` is called (or at interpreter exit).
"""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE = "ctn"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None

    def start(self, database: str = DATABASE) -> str:
        """Start (or join) the cluster, create `database` if missing, return its URL."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); /tmp is fine here.
            warnings.simplefilter("ignore")
            import pgserver  # imported here: it registers exit hooks and takes a lock

        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{database}";')
        return str(self._server.get_uri(database))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    @staticmethod
    def wipe(data_dir: Path) -> None:
        """Delete the cluster and the local media (for `ctn demo --reset`)."""
        for name in ("postgres", "media"):
            path = data_dir / name
            if path.exists():
                shutil.rmtree(path)
