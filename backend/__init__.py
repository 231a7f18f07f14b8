"""C-ThaiNguyen backend: the Litestar application, identity, audit, tips, welfare, the CLI."""

import os

# Piccolo finds its configuration through this variable; pointing it at a module inside the
# installed package makes `ctn` and the `piccolo` CLI work from any working directory.
os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
