"""Benchmark the whole pipeline at several sizes: each stage's wall time and peak memory, in child processes.

Stages per size: generate the raw files, the gate, the load, dbt's parse, the models, the tests,
`make build` end to end, an incremental refresh after one more day, the pandas peer
(tests/python/reference.py computing the same revenue and product marts from the same files), and
each dashboard tab's server time. Sizes past PEER_MAX_USERS skip the peer, which would need more memory
than the machine has (pandas holds every row: 3.8 GB at 1M users).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from jobmetrics import paths, warehouse
from jobmetrics.pipeline import raw

BIN = Path(sys.executable).parent
# Stages of our own run as `python -m devtools.benchmark <stage> ...` from the project root (see the end).
STAGE = [sys.executable, "-m", "devtools.benchmark"]
JOBMETRICS = [str(BIN / "jobmetrics")]
EVENT_MARTS = ("fct_scans", "scans_daily", "engagement_daily")
# The churn-risk score: features (SQL), the model fitted and scoring, the backtest, and the marts on them.
CHURN_RISK_MODELS = {
    "int_churn_observations": "features",
    "int_churn_risk_scores": "fit and score",
    "int_churn_backtest_predictions": "backtest",
    "churn_risk": "marts",
    "churn_model_evaluation": "marts",
    "churn_risk_kpi": "marts",
}
PEER_MAX_USERS = 1_000_000


@dataclass
class Stage:
    seconds: float
    peak_gb: float
    cpu_seconds: float = 0.0


@dataclass
class SizeResult:
    users: int
    rows: dict[str, int] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    refresh_event_marts: float = 0.0
    full_event_marts: float = 0.0
    refresh_models: float = 0.0
    full_models: float = 0.0
    dashboard_tabs: dict[str, float] = field(default_factory=dict)
    churn_risk_parts: dict[str, float] = field(default_factory=dict)
    churn_observations: int = 0


def run_stage(command: list[str], env: dict[str, str] | None = None) -> Stage:
    """Wall seconds and the child's own peak resident memory (from wait4, so stages never mix)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, cwd=paths.PROJECT_ROOT, env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise RuntimeError(f"{' '.join(command[:3])} failed:\n{output.read().decode()[-3000:]}")
    return Stage(seconds, usage.ru_maxrss / 1024**2, usage.ru_utime + usage.ru_stime)


def dbt(*args: str, target: Path) -> list[str]:
    return [str(BIN / "dbt"), *args, "--target-path", str(target), "--log-path", str(target / "logs")]


def node_seconds(target: Path, names: tuple[str, ...] | None = None) -> float:
    """Seconds dbt spent on models (all, or the named ones) in the last run, from run_results.json."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return float(
        sum(
            r["execution_time"]
            for r in results
            if r["unique_id"].startswith("model.") and (names is None or r["unique_id"].split(".")[-1] in names)
        )
    )


def measure(users: int, workdir: Path) -> SizeResult:
    result = SizeResult(users)
    folder, db, target = workdir / "raw", workdir / "staged.duckdb", workdir / "target"
    env = {"JOBMETRICS_DB": str(db), "DBT_PROFILES_DIR": str(paths.PROJECT_ROOT)}

    def stage(name: str, command: list[str], stage_env: dict[str, str] | None = None) -> None:
        print(f"  {users:>10,} users: {name} ...", flush=True)
        result.stages[name] = run_stage(command, {**env, **(stage_env or {})})

    stage("generate", [*JOBMETRICS, "sample", "--users", str(users), "--out", str(folder)])
    files = raw.find_raw_files(folder)
    with duckdb.connect() as con:
        result.rows = {t: con.read_csv(str(f.path), header=True, all_varchar=True).shape[0] for t, f in files.items()}
    stage("gate", [*JOBMETRICS, "validate", "--raw-dir", str(folder), "--docs", str(workdir / "docs")])
    stage("load", [*STAGE, "load", str(db), str(folder)])
    # Parsed once on its own, so "models" times running them, as a repeated build does (partial parse).
    stage("parse", dbt("parse", target=target))
    stage("models", dbt("build", "--exclude", "resource_type:test", "resource_type:unit_test", target=target))
    result.full_models, result.full_event_marts = node_seconds(target), node_seconds(target, EVENT_MARTS)
    stage("tests", dbt("test", target=target))
    # The churn-risk models once more, alone in their own process: their time and their memory on their own.
    stage("churn risk", dbt("run", "--select", *CHURN_RISK_MODELS, target=target))
    for name, part in CHURN_RISK_MODELS.items():
        result.churn_risk_parts[part] = result.churn_risk_parts.get(part, 0.0) + node_seconds(target, (name,))
    with duckdb.connect(str(db), read_only=True) as con:
        counted = con.execute("select count(*) from intermediate.int_churn_observations").fetchone()
        result.churn_observations = int(counted[0]) if counted else 0

    published = workdir / "published.duckdb"
    stage("make build", [*JOBMETRICS, "build", "--raw-dir", str(folder), "--db", str(published)])
    tab_seconds = workdir / "dashboard.json"
    stage("dashboard", [*STAGE, "dashboard", str(published), str(tab_seconds)])
    result.dashboard_tabs = json.loads(tab_seconds.read_text())
    stage("export", [*JOBMETRICS, "export", "--db", str(published), "--out", str(workdir / "exports")])
    stage("publish", [*STAGE, "publish", str(published), str(workdir / "published.copy")])

    # One more day: publish the data as known the day before, then refresh with the full files.
    with duckdb.connect() as con:
        newest = con.read_csv(str(files["raw_scans"].path), header=True, all_varchar=True)
        last_day: date = newest.aggregate("max(cast(scanned_at as date))").fetchall()[0][0]
    day_before = (last_day - timedelta(days=1)).isoformat()
    raw.as_known_on(files, day_before, workdir / "day_before")
    refreshed = workdir / "refreshed.duckdb"
    stage(
        "build day before",
        [*JOBMETRICS, "build", "--raw-dir", str(workdir / "day_before"), "--db", str(refreshed)],
    )
    stage("refresh", [*JOBMETRICS, "build", "--raw-dir", str(folder), "--db", str(refreshed)])
    result.refresh_models = node_seconds(paths.target_dir())
    result.refresh_event_marts = node_seconds(paths.target_dir(), EVENT_MARTS)
    if users <= PEER_MAX_USERS:
        stage("pandas peer", [sys.executable, "tests/python/reference.py", str(folder)])
    return result


def churn_risk_table(results: list[SizeResult]) -> str:
    """The churn-risk models' own time (dbt's, per part) and the memory of a process running only them, beside
    the memory of the whole `make build` (goal at 1,000,000 users: at most 15 s, within the build's memory)."""
    parts = list(dict.fromkeys(CHURN_RISK_MODELS.values()))
    lines = [
        "The churn-risk models run alone after a full build (`dbt run --select` them): dbt's own time per part, "
        "the process's wall time and peak memory (dbt's start included), and `make build`'s peak memory:",
        "",
        f"| users | observations | {' | '.join(parts)} | total (dbt) | process | peak memory | `make build` peak |",
        "|---:|---:|" + "---:|" * (len(parts) + 4),
    ]
    for r in results:
        alone, build = r.stages["churn risk"], r.stages["make build"]
        cells = [f"{r.churn_risk_parts.get(part, 0.0):.1f} s" for part in parts]
        lines.append(
            f"| {r.users:,} | {r.churn_observations:,} | " + " | ".join(cells) + f" | "
            f"{sum(r.churn_risk_parts.values()):.1f} s | {alone.seconds:.1f} s | {alone.peak_gb:.2f} GB | "
            f"{build.peak_gb:.2f} GB |"
        )
    largest = max(results, key=lambda r: r.users, default=None)
    if largest is not None:
        lines += [
            "",
            f"At {largest.users:,} users the churn-risk models take {sum(largest.churn_risk_parts.values()):.1f} s "
            f"of dbt's time (goal: at most 15 s) and their process peaks at {largest.stages['churn risk'].peak_gb:.2f} "
            f"GB, within `make build`'s {largest.stages['make build'].peak_gb:.2f} GB.",
        ]
    return "\n".join(lines)


ENGINE_SIZES = (10_000, 100_000)


def measure_engines(users: int, workdir: Path) -> dict[str, Stage]:
    """`jobmetrics build --target <engine>` (gate, load, dbt build with the tests, overview) on each engine."""
    from devtools import throwaway_postgres
    from jobmetrics.pipeline.engines import TARGETS

    folder = workdir / "raw"
    run_stage([*JOBMETRICS, "sample", "--users", str(users), "--out", str(folder)])
    builds = {}
    for target in TARGETS:
        print(f"  {users:>10,} users: make build TARGET={target} ...", flush=True)
        command = [*JOBMETRICS, "build", "--target", target, "--raw-dir", str(folder)]
        env = {
            "DBT_TARGET_PATH": str(workdir / target / "target"),
            "JOBMETRICS_DB": str(workdir / "duckdb.duckdb"),
            "JOBMETRICS_SPARK_DIR": str(workdir / "spark"),
        }
        if target == "postgres":
            with throwaway_postgres.server() as settings:
                builds[target] = run_stage(command, {**env, **settings})
        else:
            builds[target] = run_stage(command, env)
    return builds


def engines_table(results: dict[int, dict[str, Stage]]) -> str:
    targets = list(next(iter(results.values()))) if results else []
    lines = [
        "Build time per engine (`make build TARGET=...`: gate, load, dbt build with the tests, overview; "
        "PostgreSQL 15 on this machine, Spark as a local session with 4 dbt threads):",
        "",
        "| users | " + " | ".join(targets) + " |",
        "|---:|" + "---:|" * len(targets),
    ]
    for users, builds in results.items():
        lines.append(f"| {users:,} | " + " | ".join(f"{builds[t].seconds:.1f} s" for t in targets) + " |")
    return "\n".join(lines)


TENANT_LAYOUTS = ((10, 100_000), (1, 1_000_000))


def measure_tenants(workdir: Path) -> dict[tuple[int, int], Stage]:
    """`make build` of ten companies of 100,000 users as ten tenants, and of one company of 1,000,000 users:
    the same number of users, so the cost of tenants is the difference (goal: within 1.3x the time and the
    same memory)."""
    builds = {}
    for tenants, users in TENANT_LAYOUTS:
        folder = workdir / f"{tenants}x{users}"
        for number in range(tenants):
            out = folder / f"company-{number}" if tenants > 1 else folder
            run_stage([*JOBMETRICS, "sample", "--users", str(users), "--seed", str(number + 1), "--out", str(out)])
        print(f"  {tenants} x {users:,} users: make build ...", flush=True)
        # the warehouse and dbt's target outside the raw folder, whose every subfolder is a tenant
        published = workdir / f"{tenants}x{users}-warehouse" / "jobmetrics.duckdb"
        command = [*JOBMETRICS, "build", "--raw-dir", str(folder), "--db", str(published)]
        builds[(tenants, users)] = run_stage(command, {"DBT_TARGET_PATH": str(workdir / f"{tenants}x{users}-target")})
        for done in (folder, published.parent, workdir / f"{tenants}x{users}-target"):
            shutil.rmtree(done, ignore_errors=True)
    return builds


def tenants_table(results: dict[tuple[int, int], Stage]) -> str:
    lines = [
        "The same number of users as one company or as ten tenants (`make build` end to end, with the tenant files):",
        "",
        "| tenants | users each | `make build` | peak memory |",
        "|---:|---:|---:|---:|",
    ]
    for (tenants, users), stage in results.items():
        lines.append(f"| {tenants} | {users:,} | {stage.seconds:.1f} s | {stage.peak_gb:.2f} GB |")
    one, ten = results.get((1, 1_000_000)), results.get((10, 100_000))
    if one and ten:
        lines += [
            "",
            f"Ten tenants take {ten.seconds / one.seconds:.2f}x the time and {ten.peak_gb / one.peak_gb:.2f}x the "
            "memory of one (goal: at most 1.3x the time, the same memory).",
        ]
    return "\n".join(lines)


EXPERIMENT_USERS = 1_000_000


def everyone_in_one_experiment(users_csv: Path, out: Path) -> None:
    """An experiment with every user in it, assigned at signup to one of two variants."""
    (out / "raw_experiments.csv").write_text(
        "experiment_id,variant,is_control,weight\neveryone,control,true,1\neveryone,treatment,false,1\n"
    )
    with duckdb.connect() as con:
        con.read_csv(str(users_csv), header=True, all_varchar=True).select(
            "'everyone' as experiment_id, user_id, "
            "case when hash(user_id) % 2 = 0 then 'control' else 'treatment' end as variant, signup_at as assigned_at"
        ).write_csv(str(out / "raw_experiment_assignments.csv"), header=True)


def write_experiment_folders(generated: Path, workdir: Path) -> None:
    """workdir/raw-<n>: the generated company's files for each of EXPERIMENT_BUILDS, in its order."""
    for number, (with_experiment, _) in enumerate(EXPERIMENT_BUILDS.values()):
        folder = workdir / f"raw-{number}"
        folder.mkdir()
        for table in everything_but_experiments(generated):
            (folder / table.name).symlink_to(table)
        if with_experiment:
            everyone_in_one_experiment(generated / "raw_users.csv", folder)


def everything_but_experiments(generated: Path) -> list[Path]:
    """The generated company's raw files (its own billing since Stripe's tables made billing a choice of two),
    without the experiment files each of EXPERIMENT_BUILDS brings or not."""
    experiments = {f"{table}.csv" for table in raw.GROUPS["experiments"]}
    return sorted(path for path in generated.glob("*.csv") if path.name not in experiments)


# dbt's selection of every experiment model and the tests on them and on the experiment sources
WITHOUT_EXPERIMENT_MODELS = [
    "--exclude",
    "source:raw.raw_experiments+",
    "source:raw.raw_experiment_assignments+",
    "stg_experiments+",
    "stg_experiment_assignments+",
]
EXPERIMENT_BUILDS = {
    "no experiment models (dbt --exclude)": (False, WITHOUT_EXPERIMENT_MODELS),
    "no experiment files": (False, []),
    "every user in one experiment": (True, []),
}
EXPERIMENT_RUNS = 5


def measure_experiments(workdir: Path) -> dict[str, list[tuple[Stage, float]]]:
    """`make build` of one company of 1,000,000 users without the experiment models, without experiment files,
    and with an experiment on every user (goal: the experiment marts add at most 5 s), each with dbt's own time
    for the experiment nodes. Each build runs EXPERIMENT_RUNS times, in turn: the difference sought is smaller
    than one build's spread from run to run, so the table compares medians as well as fastest runs."""
    generated = workdir / "generated"
    run_stage([*JOBMETRICS, "sample", "--users", str(EXPERIMENT_USERS), "--out", str(generated)])
    write_experiment_folders(generated, workdir)
    builds: dict[str, list[tuple[Stage, float]]] = {name: [] for name in EXPERIMENT_BUILDS}
    for run in range(EXPERIMENT_RUNS):
        for number, (name, (_, dbt_args)) in enumerate(EXPERIMENT_BUILDS.items()):
            print(f"  {EXPERIMENT_USERS:,} users, {name}, run {run + 1}: make build ...", flush=True)
            target, db = workdir / f"target-{number}-{run}", workdir / f"warehouse-{number}-{run}.duckdb"
            command = [*JOBMETRICS, "build", "--raw-dir", str(workdir / f"raw-{number}"), "--db", str(db)]
            stage = run_stage([*command, *(["--", *dbt_args] if dbt_args else [])], {"DBT_TARGET_PATH": str(target)})
            results = json.loads((target / "run_results.json").read_text())["results"]
            nodes = float(sum(r["execution_time"] for r in results if "experiment" in r["unique_id"]))
            builds[name].append((stage, nodes))
            db.unlink()
    return builds


def experiments_table(results: dict[str, list[tuple[Stage, float]]]) -> str:
    lines = [
        f"One company of {EXPERIMENT_USERS:,} users: without the experiment models, without experiment files, "
        f"and with every user in one experiment (`make build` end to end, {EXPERIMENT_RUNS} runs each, taken in "
        "turn; dbt's own time for the experiment models and tests in the median run, summed over its threads):",
        "",
        "| build | `make build`, median run | fastest run | slowest run | peak memory | experiment nodes (dbt) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    median, fastest = {}, {}
    for name, runs in results.items():
        in_order = sorted(runs, key=lambda run: run[0].seconds)
        middle = in_order[len(in_order) // 2]
        median[name], fastest[name] = middle[0].seconds, in_order[0][0].seconds
        peak = max(stage.peak_gb for stage, _ in runs)
        lines.append(
            f"| {name} | {middle[0].seconds:.1f} s | {in_order[0][0].seconds:.1f} s | {in_order[-1][0].seconds:.1f} s "
            f"| {peak:.2f} GB | {middle[1]:.1f} s |"
        )
    base, everyone = "no experiment models (dbt --exclude)", "every user in one experiment"
    if base in median and everyone in median:
        spread = max(
            max(run[0].seconds for run in runs) - min(run[0].seconds for run in runs) for runs in results.values()
        )
        lines += [
            "",
            f"With every user in an experiment the build takes {median[everyone] - median[base]:+.1f} s median against "
            f"median and {fastest[everyone] - fastest[base]:+.1f} s fastest against fastest, compared with the build "
            f"without the experiment models (goal: at most +5 s); runs of one build differ by up to {spread:.1f} s.",
        ]
    return "\n".join(lines)


SQL_TAB_QUERY = (
    "select date_trunc('month', signup_at) as month, count(*) as signups from marts.dim_users group by 1 order by 1"
)


def time_dashboard_tabs(db: Path, out: Path) -> None:
    """Each dashboard page's server seconds when drawn a second time, once the first has filled the cache (JSON
    to `out`). Only the open page is drawn, so each is opened in turn."""
    from streamlit import config as streamlit_config
    from streamlit.testing.v1 import AppTest

    os.environ["JOBMETRICS_DB"] = str(db)
    os.environ["JOBMETRICS_USERS"] = str(out.with_name("no-users.yaml"))  # open, as on this machine's loopback
    streamlit_config.set_option("server.address", "127.0.0.1")
    app = AppTest.from_file(str(paths.PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=600)
    # the SQL tab and the report builder answer a month-grain question
    app.query_params["q"] = SQL_TAB_QUERY
    app.query_params["metrics"] = "mrr"
    app.query_params["group_by"] = "metric_time__month"
    app.run()
    sys.path.insert(0, str(paths.PROJECT_ROOT / "dashboard"))
    from page_kit import PAGES

    for path, title in PAGES.items():
        app.switch_page(f"tabs/{path}.py").run()
        app.run()
        if app.exception:
            raise RuntimeError(f"the dashboard's {title} page failed: {app.exception[0].message}")
    out.write_text(json.dumps(dict(app.session_state["render_seconds"])))


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024**2:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


STAGES = [
    "generate",
    "gate",
    "load",
    "parse",
    "models",
    "tests",
    "make build",
    "publish",
    "export",
    "refresh",
    "pandas peer",
]


SIZES_HEADER = (
    "| users | scans | `make build` (gate, load, dbt build with all tests, publish) | peak memory "
    "| incremental refresh after one more day | `make export` |"
)


def sizes_table(results: list[SizeResult]) -> str:
    """The summary the README shows (a test checks that the README's copy equals this one)."""
    lines = [SIZES_HEADER, "|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        build, refresh, export = r.stages["make build"], r.stages["refresh"], r.stages["export"]
        lines.append(
            f"| {r.users:,} | {r.rows.get('raw_scans', 0):,} | {build.seconds:.1f} s | {build.peak_gb:.2f} GB "
            f"| {refresh.seconds:.1f} s | {export.seconds:.1f} s |"
        )
    return "\n".join(lines)


def table(results: list[SizeResult]) -> str:
    lines = [
        "| users | scans | " + " | ".join(STAGES) + " | models / peer |",
        "|---:|---:|" + "---:|" * (len(STAGES) + 1),
    ]
    for r in results:
        cells = [f"{r.stages[s].seconds:.1f} s, {r.stages[s].peak_gb:.2f} GB" if s in r.stages else "—" for s in STAGES]
        peer = r.stages.get("pandas peer")
        ratio = f"{r.stages['models'].seconds / peer.seconds:.2f}" if peer else "—"
        lines.append(f"| {r.users:,} | {r.rows.get('raw_scans', 0):,} | " + " | ".join(cells) + f" | {ratio} |")
    if any("pandas peer" not in r.stages for r in results):
        lines += ["", f"No pandas peer past {PEER_MAX_USERS:,} users: it holds every row in memory."]
    lines += ["", "Incremental refresh after one more day (dbt's own model timings):", ""]
    lines += [
        "| users | event marts, full build | event marts, refresh | all models, full | all models, refresh |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        share = r.refresh_event_marts / r.full_event_marts if r.full_event_marts else 0.0
        lines.append(
            f"| {r.users:,} | {r.full_event_marts:.1f} s | {r.refresh_event_marts:.1f} s ({share:.0%}) | "
            f"{r.full_models:.1f} s | {r.refresh_models:.1f} s |"
        )
    tabs = list(results[0].dashboard_tabs) if results else []
    lines += ["", "Dashboard server time per tab, after the first load (goal: at most 1 s each):", ""]
    lines += ["| users | " + " | ".join(tabs) + " |", "|---:|" + "---:|" * len(tabs)]
    for r in results:
        lines.append(f"| {r.users:,} | " + " | ".join(f"{r.dashboard_tabs[t]:.2f} s" for t in tabs) + " |")
    return "\n".join(lines)


def load_stage(db: Path, folder: Path) -> None:

    with duckdb.connect(str(db), config=dict(warehouse.STORAGE_COMPATIBILITY)) as con:
        raw.load(con, raw.find_tenants(folder))


def publish_stage(published: Path, copy: Path) -> None:
    """What publishing adds to a build: copying the published file to start from, and the rename."""
    shutil.copyfile(published, copy)
    copy.replace(published)


if __name__ == "__main__":
    stages = {"load": load_stage, "publish": publish_stage, "dashboard": time_dashboard_tabs}
    stages[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
