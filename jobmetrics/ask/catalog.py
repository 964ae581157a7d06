"""What the marts are and mean, read from dbt's own artifacts (target/manifest.json)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobmetrics import paths


class CatalogMissing(Exception):
    """No dbt manifest: the project has not been built."""


@dataclass
class Mart:
    name: str
    description: str
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (data_type, description)


@dataclass
class Catalog:
    marts: dict[str, Mart]
    definitions: dict[str, str]  # docs/metrics.md blocks by name

    def definition(self, metric: str) -> str | None:
        """A metric's definition: its docs block, else the description of a mart column of that name."""
        if metric in self.definitions:
            return self.definitions[metric]
        for mart in self.marts.values():
            if metric in mart.columns and mart.columns[metric][1]:
                return mart.columns[metric][1]
        return None


def one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def load_catalog(manifest_path: Path | None = None) -> Catalog:
    manifest_path = manifest_path or paths.manifest_path()
    if not manifest_path.exists():
        raise CatalogMissing(f"{manifest_path} not found; run `make build` first.")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    marts = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == "marts":
            columns = {
                name: (col.get("data_type") or "", one_line(col.get("description", "")))
                for name, col in node["columns"].items()
            }
            marts[node["name"]] = Mart(node["name"], one_line(node["description"]), columns)
    definitions = {
        doc["name"]: one_line(doc["block_contents"])
        for doc in manifest.get("docs", {}).values()
        if doc["package_name"] == "jobmetrics"
    }
    return Catalog(dict(sorted(marts.items())), definitions)


def describe_for_prompt(catalog: Catalog) -> str:
    """The stable part of the system prompt: every mart, its columns, and the metric definitions."""
    lines = ["# Marts (DuckDB schema `marts`)"]
    for mart in catalog.marts.values():
        lines.append(f"\n## marts.{mart.name}\n{mart.description}")
        lines += [f"- {name} ({dtype}): {text}" for name, (dtype, text) in mart.columns.items()]
    lines.append("\n# Metric definitions (docs/metrics.md)")
    lines += [f"- {name}: {text}" for name, text in sorted(catalog.definitions.items())]
    return "\n".join(lines)
