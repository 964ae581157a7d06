"""Publish a build's files together or not at all: the shared warehouse, every tenant's file and the manifests
beside them.

Each file is written next to its final name first (`<name>.new`, or the build's scratch file) and renamed over
it, so a reader sees a whole old file or a whole new one. Until every rename has succeeded, each file replaced
is kept as `<name>.previous` (a hard link): when one file cannot be replaced (an immutable tenant file, a full
disk), those already replaced are put back, and the build says that nothing was published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREVIOUS = ".previous"


@dataclass(frozen=True)
class Replacement:
    staged: Path
    final: Path

    @property
    def previous(self) -> Path:
        return self.final.with_name(self.final.name + PREVIOUS)


class NotPublished(Exception):
    """A file could not be replaced and every file replaced before it is back; str() names the file and why."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(f"cannot replace {path} ({error.strerror or error}: is it read-only or immutable?)")
        self.path = path


def replace_all(replacements: list[Replacement]) -> None:
    """Rename each staged file over its final name, keeping what it replaces as `<final>.previous`; when one
    cannot be, put back those already replaced, remove the staged files left, and raise NotPublished."""
    done: list[Replacement] = []
    for replacement in replacements:
        try:
            replacement.previous.unlink(missing_ok=True)
            if replacement.final.exists():
                os.link(replacement.final, replacement.previous)  # refused for an immutable file, as the rename is
            replacement.staged.replace(replacement.final)
        except OSError as error:
            put_back(done)
            replacement.previous.unlink(missing_ok=True)
            for left in replacements[len(done) :]:
                left.staged.unlink(missing_ok=True)
            raise NotPublished(replacement.final, error) from error
        done.append(replacement)


def put_back(replaced: list[Replacement]) -> None:
    """Undo replace_all: each final file as it was before (none where there was none)."""
    for replacement in reversed(replaced):
        if replacement.previous.exists():
            replacement.previous.replace(replacement.final)
        else:
            replacement.final.unlink(missing_ok=True)


def forget_previous(replaced: list[Replacement]) -> None:
    """Every file is published: the copies kept to put them back go."""
    for replacement in replaced:
        replacement.previous.unlink(missing_ok=True)
