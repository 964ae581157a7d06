"""Ending a process once its work is written and closed, without Python's own teardown.

At exit Python frees every module the process imported, object by object: about a second after every build in
the `jobmetrics` process (Great Expectations alone brings thousands of modules), and another in dbt's. The exit
handlers still run (logging's, temporary folders', a Spark session's stop). What only that teardown would do is
close files and connections still open, so a caller closes its own first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn


def end_process(code: int) -> NoReturn:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader that went away (`jobmetrics overview | head -1`) wanted no more
            stream.flush()
    os._exit(code)
