"""The README is short, and every figure it copies from a build or a benchmark is checked here: the KPI
overview equals the build's output on the sample, the sizes table equals docs/benchmarks.md (whose summary
equals its own per-stage table), and the listed marts and exposures equal the project's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from builds import PROJECT_ROOT, Build

from jobmetrics.cli import overview

README = PROJECT_ROOT / "README.md"
BENCHMARKS = PROJECT_ROOT / "docs" / "benchmarks.md"
README_MAX_BYTES = 16_000


def table_after(text: str, heading: str) -> list[list[str]]:
    """The first Markdown table after a heading, as rows of cells (header and rule left out)."""
    section = text[text.index(heading) :]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    first = section.splitlines().index(lines[0])
    block = []
    for line in section.splitlines()[first:]:
        if not line.startswith("|"):
            break
        block.append([cell.strip() for cell in line.strip("|").split("|")])
    return block[2:]


def test_the_readme_is_short() -> None:
    assert README.stat().st_size <= README_MAX_BYTES


def test_the_readme_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README.read_text()):
        if not target.startswith("http"):
            assert (PROJECT_ROOT / target).exists(), target
    for page in (PROJECT_ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if not target.startswith("http"):
                assert (page.parent / target).exists(), (page.name, target)


@pytest.mark.build
def test_the_readme_overview_is_what_the_build_prints(
    default_company: Build, capsys: pytest.CaptureFixture[str]
) -> None:
    assert overview.main(["--db", str(default_company.db)]) == 0
    printed = capsys.readouterr().out
    assert f"```\n{printed}```" in README.read_text(), printed


def test_the_readme_sizes_equal_the_benchmarks() -> None:
    benchmarks = BENCHMARKS.read_text()
    sizes = table_after(benchmarks, "## Sizes")
    assert table_after(README.read_text(), "## Sizes and times") == sizes
    # the summary is the per-stage table's own cells: make build (time and memory), refresh, export
    stages = {row[0]: row for row in table_after(benchmarks, "## Every stage")}
    header = next(
        line for line in benchmarks[benchmarks.index("## Every stage") :].splitlines() if line.startswith("|")
    )
    names = [cell.strip() for cell in header.strip("|").split("|")]
    for users, scans, build, memory, refresh, export in sizes:
        row = dict(zip(names, stages[users], strict=True))
        assert row["scans"] == scans
        assert row["make build"] == f"{build}, {memory}"
        assert row["refresh"].split(",")[0] == refresh
        assert row["export"].split(",")[0] == export


def test_the_readme_lists_every_mart() -> None:
    marts = {path.stem for path in (PROJECT_ROOT / "models" / "marts").rglob("*.sql")}
    listed = {row[0].strip("`") for row in table_after(README.read_text(), "## What you get")}
    assert listed == marts


def test_the_exposures_listed_are_the_declared_ones() -> None:
    declared = yaml.safe_load((PROJECT_ROOT / "models" / "exposures.yml").read_text())["exposures"]
    text = (PROJECT_ROOT / "docs" / "development.md").read_text()
    listed = dict(re.findall(r"^- `(\w+)`, [^:]*\): (.*)$", text, flags=re.M))
    assert set(listed) == {exposure["name"] for exposure in declared}
    for exposure in declared:
        reads = {ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"]}
        assert set(listed[exposure["name"]].split(", ")) == reads, exposure["name"]


def test_every_doc_page_is_reachable_from_the_readme() -> None:
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README.read_text()))
    assert linked == {page.name for page in (PROJECT_ROOT / "docs").glob("*.md")}
    assert Path(PROJECT_ROOT / "CHANGELOG.md").exists()
