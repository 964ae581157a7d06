"""One file per tenant: beside the shared warehouse (every tenant), `tenants/<tenant>.duckdb` holds one tenant's
marts and nothing else, so a reader given that file cannot reach another tenant's rows whatever SQL it runs. This
is where readers find those files (jobmetrics.pipeline.tenant_files writes them).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from jobmetrics import paths
from jobmetrics.warehouse import WarehouseUnavailable

FOLDER = "tenants"
DEFAULT_TENANT = "default"
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class UnknownTenant(WarehouseUnavailable):
    """The tenant asked for has no file; str() names the tenants there are."""


def folder(published: Path) -> Path:
    return published.parent / FOLDER


def tenant_file(published: Path, tenant: str) -> Path:
    return folder(published) / f"{tenant}.duckdb"


def published_tenants(published: Path) -> list[str]:
    found = folder(published)
    return sorted(path.stem for path in found.glob("*.duckdb")) if found.is_dir() else []


def chosen() -> str | None:
    """The tenant a reader was asked for: $JOBMETRICS_TENANT, or none."""
    return os.environ.get("JOBMETRICS_TENANT") or None


def reader_path(published: Path, tenant: str | None) -> Path:
    """The file a reader opens: the tenant's own file when a tenant is named; the shared warehouse when none is
    and it holds one tenant. Naming none when there are several is refused, so no reader mixes tenants by
    accident."""
    known = published_tenants(published)
    if tenant is None:
        if len(known) > 1:
            raise UnknownTenant(
                f"{published} holds {len(known)} tenants ({', '.join(known)}); choose one with --tenant "
                "or JOBMETRICS_TENANT."
            )
        return published
    if not TENANT_NAME.fullmatch(tenant) or tenant not in known:
        there = ", ".join(known) or f"none yet: run `make build` (tenants are the folders of {paths.raw_dir()})"
        raise UnknownTenant(f"no tenant {tenant!r} in {folder(published)} (tenants: {there}).")
    return tenant_file(published, tenant)
