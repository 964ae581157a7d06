"""Why something could not be read or written, in one line that says where and what to do.

DuckDB's own messages about a broken CSV run to twenty lines and sometimes name the wrong line (a 10 MB
field is reported on line 1 wherever it is); the operating system's errors arrive as tracebacks. These
turn both into one sentence, looking at the file itself where DuckDB's words are not enough.
"""

from __future__ import annotations

import codecs
import errno
from pathlib import Path

import duckdb

# What DuckDB's CSV reader accepts on one line by default (its max_line_size).
MAX_LINE_BYTES = 2_000_000
CHUNK_BYTES = 1 << 20

WRITE_PROBLEMS = {
    errno.ENOSPC: "no space left on the device; free some space and run again",
    errno.EDQUOT: "the disk quota is used up; free some space and run again",
    errno.EACCES: "permission denied; make the folder writable for this user and run again",
    errno.EPERM: "the folder cannot be written (read-only or immutable); make it writable and run again",
    errno.EROFS: "the file system is read-only; choose a writable folder (JOBMETRICS_DB) and run again",
}
WRITE_WORDS = {  # DuckDB reports the same problems in words
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "permission denied": errno.EACCES,
    "operation not permitted": errno.EPERM,
    "read-only file system": errno.EROFS,
}


def first_invalid_utf8(path: Path) -> tuple[int, bytes] | None:
    """(line number, the offending bytes) of the first byte sequence that is not UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return line + chunk[: error.start].count(b"\n"), chunk[error.start : error.end]
            line += chunk.count(b"\n")
    return None


def first_long_line(path: Path, limit: int = MAX_LINE_BYTES) -> tuple[int, int] | None:
    """(line number, its length in bytes) of the first line longer than `limit`, or None."""
    with path.open("rb") as handle:
        for number, start in enumerate(iter(lambda: handle.readline(limit + 1), b""), start=1):
            if len(start.rstrip(b"\r\n")) <= limit:
                continue
            length, rest = len(start), start
            while not rest.endswith(b"\n") and (rest := handle.readline(CHUNK_BYTES)):
                length += len(rest)
            return number, length - (1 if rest.endswith(b"\n") else 0)
    return None


def duckdb_reason(error: duckdb.Error) -> str:
    """DuckDB's message without the echoed line, the suggestions and the reader's settings."""
    kept = []
    for text in str(error).splitlines():
        if not text.strip():
            break
        if not text.startswith(("Original Line:", "Possible Solution:")):
            kept.append(text.strip())
    return "; ".join(kept)


def not_utf8(path: Path) -> str | None:
    """Where a text file is not UTF-8 and what to do, or None when it is."""
    invalid = first_invalid_utf8(path)
    if invalid is None:
        return None
    line, raw_bytes = invalid
    return (
        f"{path} is not UTF-8 text: line {line:,} holds the bytes {raw_bytes.hex(' ')} "
        "(Latin-1 or Windows-1252?); save the file as UTF-8 and run again"
    )


def unreadable(path: Path, error: duckdb.Error, columns: list[str]) -> str:
    """Why DuckDB could not read a raw file: what is wrong, where, and how to fix it."""
    if path.stat().st_size == 0:
        return f"{path} is empty (0 bytes); it needs a header row ({', '.join(columns)}) and then the data"
    if path.suffix.lower() == ".csv":
        encoding = not_utf8(path)
        if encoding is not None:
            return encoding
        long_line = first_long_line(path)
        if long_line is not None:
            line, length = long_line
            return (
                f"{path}: line {line:,} is {length:,} bytes long, more than the {MAX_LINE_BYTES:,} a line may hold "
                "(an unclosed quote, or a field that is not what its column says); fix that line and run again"
            )
    return f"cannot read {path}: {duckdb_reason(error)}"


def write_problem(error: OSError | duckdb.Error, where: Path) -> str | None:
    """One line for a failed write (no space, permission, read-only), or None when it is another error."""
    if isinstance(error, OSError):
        code = error.errno
        place = Path(error.filename).parent if error.filename else where
    else:
        text = str(error).lower()
        code = next((number for words, number in WRITE_WORDS.items() if words in text), None)
        place = where
    if code not in WRITE_PROBLEMS:
        return None
    return f"cannot write in {place}: {WRITE_PROBLEMS[code]}"
