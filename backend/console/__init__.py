"""The staff web console (server-rendered pages under /console): the shell in `shell.py`,
each domain's pages in its own `pages.py`."""
