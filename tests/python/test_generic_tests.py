"""dbt's generic tests (the project's in tests/generic/, dbt's own built-ins) rendered for DuckDB with plain Jinja,
as the raw-data gate runs them (jobmetrics.pipeline.dbt_tests), and run on small tables whose answers are known:
what each one refuses, and what it says about it."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pytest

from jobmetrics.pipeline.dbt_tests import Renderer, UnknownTest, UnknownVariable

RENDERER = Renderer({"earliest_plausible_date": "2000-01-01", "future_tolerance_days": 2})


Rows = list[tuple[Any, ...]]


def failing(con: duckdb.DuckDBPyConnection, name: str, column: str | None = None, **arguments: object) -> Rows:
    return sorted(con.execute(RENDERER.test_sql(name, "checked", column, arguments)).fetchall(), key=str)


def test_not_null_columns_names_each_column_holding_nulls_with_its_rows() -> None:
    sql = RENDERER.test_sql("not_null_columns", "marts", None, {"columns": ["user_id", "month", "movement"]})
    with duckdb.connect() as con:
        con.execute("create table marts (user_id bigint, month date, movement varchar, note varchar)")
        assert con.execute(sql).fetchall() == []  # no rows: nothing is null
        con.execute(
            "insert into marts values (1, date '2025-01-01', 'new', null), (2, null, null, 'x'), (3, null, 'new', 'y')"
        )
        assert sorted(con.execute(sql).fetchall()) == [("month", 2), ("movement", 1)]  # note is not listed
        con.execute("update marts set month = date '2025-02-01', movement = 'retained'")
        assert con.execute(sql).fetchall() == []


def test_a_value_is_unique_within_its_tenant_and_may_repeat_across_tenants() -> None:
    with duckdb.connect() as con:
        con.execute(
            "create table checked as select * from (values ('a', 1), ('B ', 1), ('b', 2), ('b', 2), ('a', null))"
        )
        con.execute("alter table checked rename col0 to tenant_id")
        con.execute("alter table checked rename col1 to user_id")
        assert failing(con, "unique_within_tenant", "user_id") == [("b", 2, 2)]


def test_dbt_own_not_null_renders_from_dbt_core() -> None:
    with duckdb.connect() as con:
        con.execute("create table checked as select * from (values (1), (null), (3)) as t(user_id)")
        assert failing(con, "not_null", "user_id") == [(None,)]


def test_a_range_excludes_its_bounds_only_when_told() -> None:
    with duckdb.connect() as con:
        con.execute("create table checked as select * from (values (0.0), (5.0), (-1.0), (null)) as t(price)")
        assert failing(con, "accepted_range", "price", min_value=0) == [(-1.0,)]
        assert failing(con, "accepted_range", "price", min_value=0, inclusive=False) == [(-1.0,), (0.0,)]
    assert RENDERER.words("accepted_range", {"min_value": 0, "inclusive": False}) == "values outside (0, inf)"
    assert RENDERER.words("accepted_range", {"min_value": 0, "max_value": 100}) == "values outside [0, 100]"


def test_engine_specific_macros_render_duckdb_sql() -> None:
    """is_finite, regex_full_match and dbt's dateadd are dispatched: DuckDB's implementation is what runs."""
    with duckdb.connect() as con:
        con.execute("create table checked as select * from (values ('inf'::double), (1.5), ('nan'::double)) as t(x)")
        refused = [row[0] for row in failing(con, "finite", "x")]
        assert len(refused) == 2 and any(map(math.isinf, refused)) and any(map(math.isnan, refused))
        con.execute(
            "create or replace table checked as select * from "
            "(values (timestamp '1999-12-31 23:59:59'), (timestamp '2000-01-01'), (current_date + interval 2 day), "
            "(current_date + interval 3 day)) as t(seen_at)"
        )
        found = [row[0].date().isoformat() for row in failing(con, "plausible_timestamp", "seen_at")]
        latest = con.execute("select (current_date + interval 3 day)::date").fetchone()
        assert latest is not None
        assert found == sorted(["1999-12-31", latest[0].isoformat()])
        con.execute(
            "create or replace table checked as select * from (values ('US'), (' gb '), ('1x'), ('USA')) as t(c)"
        )
        assert failing(con, "matches_pattern", "c", pattern="[A-Za-z]{2}") == [("1x",), ("USA",)]


def test_a_test_neither_the_project_nor_dbt_defines_is_refused_by_name() -> None:
    with pytest.raises(UnknownTest, match="at_least_one"):
        RENDERER.test_sql("at_least_one", "checked", "x", {})
    with pytest.raises(UnknownVariable, match="stripe_user_id_key"):
        RENDERER.test_sql("json_key_in_within_tenant", "checked", "metadata", {"to": "users", "field": "user_id"})


def test_accepted_columns_names_each_column_leaving_its_range_or_list_with_its_rows() -> None:
    arguments = {
        "ranges": {"rate": {"min_value": 0, "max_value": 1}, "share": {"min_value": 0, "inclusive": False}},
        "values": {"movement": ["new", "churn"], "months": [1, 3]},
    }
    sql = RENDERER.test_sql("accepted_columns", "marts", None, arguments)
    with duckdb.connect() as con:
        con.execute("create table marts (rate double, share double, movement varchar, months integer)")
        con.execute("insert into marts values (0, 0.5, 'new', 1), (1, 2, 'churn', 3), (null, null, null, null)")
        assert con.execute(sql).fetchall() == []  # the bounds of an inclusive range are inside; null passes
        con.execute("insert into marts values (1.5, 0, 'New', 2), (-0.1, 1, 'new', 12), ('nan', 1, 'new', 1)")
        assert sorted(con.execute(sql).fetchall()) == [
            ("months", "not one of 1, 3", 2),
            ("movement", "not one of new, churn", 1),  # compared as written: 'New' is not 'new'
            ("rate", "outside [0, 1]", 3),  # 1.5, -0.1 and NaN
            ("share", "outside (0, inf)", 1),
        ]


def test_accepted_columns_names_a_repeated_key_and_each_column_holding_nulls_with_their_rows() -> None:
    arguments = {
        "unique": ["tenant_id", "month"],
        "not_null": ["tenant_id", "month", "mrr"],
        "ranges": {"mrr": {"min_value": 0}},
    }
    sql = RENDERER.test_sql("accepted_columns", "marts", None, arguments)
    with duckdb.connect() as con:
        con.execute("create table marts (tenant_id varchar, month date, mrr double)")
        assert con.execute(sql).fetchall() == []  # an empty table breaks no rule
        con.execute(
            "insert into marts values ('a', date '2025-01-01', 5), ('b', date '2025-01-01', 5), "
            "('a', date '2025-02-01', 0)"
        )
        assert con.execute(sql).fetchall() == []  # the month repeats, but not within a tenant
        con.execute(
            "insert into marts values ('a', date '2025-01-01', 7), ('a', date '2025-01-01', 8), "
            "('b', date '2025-02-01', null), ('b', null, -1), ('b', null, 2)"
        )
        assert sorted(con.execute(sql).fetchall()) == [
            ("month", "null", 2),
            ("mrr", "null", 1),
            ("mrr", "outside [0, inf]", 1),
            ("tenant_id, month", "not unique", 5),  # a's January three times, b's two months without a date
        ]
    only_the_key = RENDERER.test_sql("accepted_columns", "marts", None, {"unique": ["scan_id"]})
    with duckdb.connect() as con:
        con.execute("create table marts as select * from (values (1), (2), (2), (null), (null)) as t(scan_id)")
        assert con.execute(only_the_key).fetchall() == [("scan_id", "not unique", 4)]  # nulls repeat too
