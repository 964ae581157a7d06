"""dbt's data tests rendered for DuckDB with plain Jinja, so the raw-data gate runs the very SQL dbt runs.

A declared test's SQL is the project's generic test (tests/generic/) or dbt's own (not_null and the other
built-ins, from the installed dbt-core); the words for a broken rule are macros/raw_contract.sql's
`describe_contract_rule`. Macros dbt dispatches by engine render their DuckDB implementation: the project's in
macros/, dbt-duckdb's for dbt's own. `execute` is false, as while dbt parses, so no macro asks a database
anything: a test reads `tenant_id` from the table it tests, which the gate adds.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2

from jobmetrics import paths

GENERIC_TESTS = paths.PROJECT_ROOT / "tests" / "generic"
MACROS = paths.PROJECT_ROOT / "macros"
PROJECT_MACROS = (MACROS / "cross_db.sql", MACROS / "tenants.sql", MACROS / "raw_contract.sql")


class UnknownTest(Exception):
    """Neither the project nor dbt defines a generic test of that name; str() names it."""


class UnknownVariable(Exception):
    """A macro read a dbt var the gate was not given; str() names it."""


class _Returned(Exception):
    """dbt's `return()`: a macro hands back a value instead of its text."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _return(value: Any) -> None:
    raise _Returned(value)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownTest(f"{package} is not installed; install the project's requirements")
    return Path(next(iter(spec.submodule_search_locations)))


def as_macros(text: str) -> str:
    """A `{% test name(...) %}` block is a macro dbt calls with the model; as a Jinja macro it renders the same."""
    text = re.sub(r"{%(-?)\s*test\s", r"{%\1 macro ", text)
    return re.sub(r"{%(-?)\s*endtest\s*(-?)%}", r"{%\1 endmacro \2%}", text)


class Macros:
    """Macros by name, each called as dbt calls it: a `return()` inside gives its value, else its text."""

    def __init__(self, macros: Mapping[str, Callable[..., Any]]) -> None:
        self.macros = dict(macros)

    def __contains__(self, name: str) -> bool:
        return name in self.macros

    def __getattr__(self, name: str) -> Callable[..., Any]:
        try:
            macro = self.macros[name]
        except KeyError:
            raise AttributeError(name) from None

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return macro(*args, **kwargs)
            except _Returned as returned:
                return returned.value

        return call


class Renderer:
    """Renders dbt tests and the contract's words with the given dbt vars (the gate's window of dates, ...)."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = dict(variables)
        self.env = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
        self.env.globals.update(
            execute=False,
            var=self.var,
            modules=SimpleNamespace(re=re),
            adapter=SimpleNamespace(dispatch=self.dispatch),
            should_store_failures=lambda: False,
            **{"return": _return},
        )
        # a module's macros see the globals of when it was loaded: the packages exist first, filled after
        self.packages = {"dbt": Macros({}), "jobmetrics": Macros({})}
        self.env.globals.update(self.packages)
        dbt_dir = _package_dir("dbt.include.global_project")
        dbt_own = self.packages["dbt"].macros
        dbt_own |= self.load(
            [
                dbt_dir / "tests" / "generic" / "builtin.sql",
                *sorted((dbt_dir / "macros" / "generic_test_sql").glob("*.sql")),
                _package_dir("dbt.include.duckdb") / "macros" / "utils" / "dateadd.sql",
            ]
        )
        dbt_own["type_string"] = lambda: "varchar"
        dbt_own["dateadd"] = self.dispatch("dateadd", "dbt")
        self.packages["jobmetrics"].macros |= self.load(list(PROJECT_MACROS))

    def load(self, files: list[Path]) -> dict[str, Callable[..., Any]]:
        macros: dict[str, Callable[..., Any]] = {}
        for path in files:
            module = self.env.from_string(as_macros(path.read_text())).module
            macros |= {name: value for name, value in vars(module).items() if isinstance(value, jinja2.runtime.Macro)}
        return macros

    def var(self, name: str, default: Any = None) -> Any:
        if name in self.variables:
            return self.variables[name]
        if default is not None:
            return default
        raise UnknownVariable(f"the gate was not given dbt's var {name!r}")

    def dispatch(self, name: str, package: str) -> Callable[..., Any]:
        macros = self.packages[package]
        for candidate in (f"duckdb__{name}", f"default__{name}", name):
            if candidate in macros:
                return getattr(macros, candidate)  # type: ignore[no-any-return]
        raise UnknownTest(f"{package} has no macro {name!r}")

    @cache  # noqa: B019 (a renderer lives as long as the gate's run)
    def test_macro(self, name: str) -> jinja2.runtime.Macro:
        own = GENERIC_TESTS / f"{name}.sql"
        found = self.load([own]).get(name) if own.exists() else self.packages["dbt"].macros.get(name)
        if not isinstance(found, jinja2.runtime.Macro):
            raise UnknownTest(f"no generic test {name!r} in tests/generic/ or dbt's built-in tests")
        return found

    def test_sql(self, name: str, model: str, column: str | None, arguments: Mapping[str, Any]) -> str:
        """The SQL dbt runs for the test `name` on `model` (rows returned are the failures)."""
        macro = self.test_macro(name)
        given = dict(arguments)
        if column and "column_name" in macro.arguments:
            given["column_name"] = column
        return str(Macros({name: macro}).__getattr__(name)(model=model, **given))

    def words(self, name: str, arguments: Mapping[str, Any]) -> str:
        """What a failure of the test says was found, as dbt's on-run-end report words it."""
        node = {"test_metadata": {"name": name, "kwargs": {"arguments": dict(arguments)}}}
        return str(self.packages["jobmetrics"].describe_contract_rule(node)).strip()
