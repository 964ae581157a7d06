"""`python -m jobmetrics.cli <command>`: the `jobmetrics` command, for processes started from Python (the
watcher's builds)."""

from jobmetrics.cli import run

run()
