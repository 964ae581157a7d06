"""The project's generic tests (tests/generic/) that are plain Jinja, rendered as dbt renders them and run by
DuckDB on small tables whose answers are known: what each one refuses, and what it says about it."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import jinja2

from jobmetrics.paths import PROJECT_ROOT


def generic_test_sql(name: str, **arguments: Any) -> str:
    """A `{% test %}` block is a macro dbt calls with the model; as a Jinja macro it renders the same SQL."""
    text = (PROJECT_ROOT / "tests" / "generic" / f"{name}.sql").read_text()
    text = re.sub(r"{%-?\s*test\s", "{% macro ", text)
    text = re.sub(r"{%-?\s*endtest\s*-?%}", "{% endmacro %}", text)
    module = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).module
    return str(getattr(module, name)(**arguments))


def test_not_null_columns_names_each_column_holding_nulls_with_its_rows() -> None:
    sql = generic_test_sql("not_null_columns", model="marts", columns=["user_id", "month", "movement"])
    with duckdb.connect() as con:
        con.execute("create table marts (user_id bigint, month date, movement varchar, note varchar)")
        assert con.execute(sql).fetchall() == []  # no rows: nothing is null
        con.execute(
            "insert into marts values (1, date '2025-01-01', 'new', null), (2, null, null, 'x'), (3, null, 'new', 'y')"
        )
        assert sorted(con.execute(sql).fetchall()) == [("month", 2), ("movement", 1)]  # note is not listed
        con.execute("update marts set month = date '2025-02-01', movement = 'retained'")
        assert con.execute(sql).fetchall() == []
