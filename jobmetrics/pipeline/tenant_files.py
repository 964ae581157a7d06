"""Each tenant's own file, written by the build: `tenants/<tenant>.duckdb.new` beside its final name, renamed with
the shared warehouse by jobmetrics.pipeline.publishing (a failed build replaces none of them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from jobmetrics import paths
from jobmetrics.pipeline import publishing, raw
from jobmetrics.tenants import TENANT_NAME, folder, published_tenants, tenant_file
from jobmetrics.warehouse import STORAGE_COMPATIBILITY, sql_string

STAGED = ".new"


def stage(built: Path, published: Path) -> dict[str, Path]:
    """Each tenant's marts from the built warehouse, written to `<tenant>.duckdb.new` in the tenants folder;
    tenant -> staged file."""
    out = folder(published)
    out.mkdir(parents=True, exist_ok=True)
    for leftover in [*out.glob(f"*{STAGED}"), *out.glob(f"*{publishing.PREVIOUS}")]:  # from a build that was stopped
        leftover.unlink()
    staged: dict[str, Path] = {}
    with duckdb.connect(":memory:", config=paths.duckdb_settings()) as con:
        con.execute(f"attach {sql_string(str(built))} as built (read_only)")
        tenants = [
            str(row[0])
            for row in con.execute("select tenant_id from built.intermediate.int_reporting_period").fetchall()
        ]
        marts = [
            str(row[0])
            for row in con.execute(
                "select table_name from duckdb_tables() where database_name = 'built' and schema_name = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
        unnamable = [tenant for tenant in tenants if not TENANT_NAME.fullmatch(tenant)]
        if unnamable:  # only tables another tool loaded can hold such ids: tenant folders are checked
            raise raw.RawFilesMissing(
                f"tenant_id {', '.join(repr(t) for t in unnamable)} in the raw tables cannot name a tenant's file; "
                "use lower-case letters, digits, _ and - (starting with a letter or digit, at most 63 characters)"
            )
        for tenant in tenants:
            path = out / f"{tenant}.duckdb{STAGED}"
            path.unlink(missing_ok=True)
            with duckdb.connect(str(path), config=dict(STORAGE_COMPATIBILITY)):
                pass
            con.execute(f"attach {sql_string(str(path))} as one_tenant")
            con.execute("begin")  # one commit per file, not one per table
            con.execute("create schema one_tenant.marts")
            for mart in marts:
                con.execute(
                    f"create table one_tenant.marts.{mart} as select * from built.marts.{mart} where tenant_id = ?",
                    [tenant],
                )
            con.execute("commit")
            con.execute("detach one_tenant")
            staged[tenant] = path
    return staged


def staged_copies(manifests: dict[str, Path], stem: Path) -> list[publishing.Replacement]:
    """The manifests (suffix -> the built file) copied beside `<stem><suffix>` as `.new`, to be renamed over it."""
    copies = []
    for suffix, built in manifests.items():
        final = stem.with_name(stem.name + suffix)
        staged = final.with_name(final.name + STAGED)
        shutil.copyfile(built, staged)
        copies.append(publishing.Replacement(staged, final))
    return copies


def replacements(staged: dict[str, Path], manifests: dict[str, Path]) -> list[publishing.Replacement]:
    """Each staged tenant file and, beside it, a copy of the shared warehouse's manifests: what publishing
    renames over the published names."""
    renames = []
    for tenant, path in staged.items():
        final = path.with_name(f"{tenant}.duckdb")
        renames.append(publishing.Replacement(path, final))
        renames += staged_copies(manifests, final.with_suffix(""))
    return renames


def remove_gone(staged: dict[str, Path], published: Path) -> None:
    """The files of tenants the build no longer has go once the build is published."""
    for tenant in set(published_tenants(published)) - set(staged):
        for suffix in (".duckdb", ".manifest.json", ".semantic_manifest.json"):
            tenant_file(published, tenant).with_suffix(suffix).unlink(missing_ok=True)


def discard(staged: dict[str, Path]) -> None:
    for path in staged.values():
        path.unlink(missing_ok=True)
