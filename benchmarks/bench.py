"""Benchmark schemadoctor against alembic's comparison and the raw catalog floor.

    python benchmarks/bench.py --dialect postgresql,mysql,sqlite --tables 100,1000,3000
    python benchmarks/bench.py --dialect postgresql --tables 0 --tenants 1000

For each dialect and size it builds (once, cached) a database from generated models, then
measures side by side, in the same run, with the models already imported:

- floor:    the raw catalog queries fetching the same facts (benchmarks/floor.py);
- reflect:  schemadoctor's reflection alone (reflect_database);
- check:    schemadoctor's own work: connect, reflect, describe, compare, render the report;
- alembic:  alembic.autogenerate.compare_metadata with a MigrationContext;
- e2e:      `schemadoctor check` as a process, start to exit (models import included).

Each measured kind runs in a process of its own (its peak memory is its own), the kinds take
turns repetition by repetition (so that load on the machine hits them alike), and the table
shows medians. Round trips are the statements sent (SQLAlchemy's before_cursor_execute); peak
memory is tracemalloc's peak during one extra run, and the process's max RSS.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_URLS = {
    "postgresql": os.environ.get(
        "SCHEMADOCTOR_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("SCHEMADOCTOR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    "sqlite": "",
}
KINDS = ("floor", "reflect", "check", "alembic")


# ---------------------------------------------------------------------------------------------
# Worker: one measured kind in a process of its own, driven line by line over stdin.
# ---------------------------------------------------------------------------------------------


def _maxrss_kib() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _make_operation(kind: str, url: str, models: Any, schemas: list[str], jobs: int) -> Any:
    """A no-argument callable doing one measured run; returns a short description."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from schemadoctor.connect import parse_url

    metadata = models.metadata[0]

    def engine() -> Any:
        return create_engine(parse_url(url), poolclass=NullPool)

    if kind == "floor":
        from floor import fetch_floor

        def floor() -> str:
            bench_engine = engine()
            with bench_engine.connect() as connection:
                names = schemas or [_default_schema(connection)]
                rows = fetch_floor(connection, _expand(connection, names))
            bench_engine.dispose()
            return f"{rows} rows"

        return floor
    if kind == "reflect":
        from schemadoctor.connect import open_database
        from schemadoctor.reflect import reflect_database

        def reflect() -> str:
            database = open_database(url)
            shape = reflect_database(database, list(schemas) or [None])
            database.dispose()
            return f"{len(shape.tables)} tables"

        return reflect
    if kind == "check":
        from schemadoctor.api import check
        from schemadoctor.load import LoadedModels
        from schemadoctor.report import render

        def run_check() -> str:
            # A fresh LoadedModels per run, as a new process would have: nothing it caches
            # (the tables' dependency order) carries over from the previous run.
            fresh = LoadedModels(models.metadata, models.targets, models.modules)
            report = check(fresh, url, schemas=schemas, jobs=jobs)
            render(report, "text")
            return f"{len(report.findings)} findings, exit {report.exit_code}"

        return run_check
    if kind == "alembic":
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        def alembic() -> str:
            bench_engine = engine()
            differences = 0
            with bench_engine.connect() as connection:
                for schema in _expand(connection, schemas) if schemas else [None]:
                    if schema is not None:
                        # alembic's cookbook recipe for schema-per-tenant: point the
                        # connection's search_path (and default schema) at the tenant.
                        connection.exec_driver_sql(f'SET search_path TO "{schema}"')
                        connection.dialect.default_schema_name = schema
                    context = MigrationContext.configure(connection)
                    differences += len(compare_metadata(context, metadata))
            bench_engine.dispose()
            return f"{differences} differences"

        return alembic
    raise ValueError(kind)


def _default_schema(connection: Any) -> str:
    from schemadoctor.reflect import default_schema_of

    return default_schema_of(connection) or "main"


def _expand(connection: Any, names: list[str]) -> list[str]:
    from schemadoctor.reflect import default_schema_of, resolve_schemas

    return resolve_schemas(connection, names, default_schema_of(connection))


def worker(arguments: argparse.Namespace) -> None:
    """Import the models, then run the kind once per 'run' line read on stdin."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from schemadoctor.load import load_models

    started = time.perf_counter()
    models = load_models([arguments.models])
    imported = time.perf_counter() - started
    schemas = [s for s in arguments.schemas.split(",") if s] if arguments.schemas else []
    operation = _make_operation(arguments.worker, arguments.url, models, schemas, arguments.jobs)
    statements: list[int] = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    _answer({"ready": True, "import_seconds": imported, "maxrss_kib": _maxrss_kib()})

    for line in sys.stdin:
        command = line.strip()
        if command == "run":
            statements[0] = 0
            # Start every timed run from a collected heap: otherwise a full collection over
            # the imported models (about a second) fell inside whichever run tipped it, the
            # floor's as often as any, in one repetition of five.
            gc.collect()
            began = time.perf_counter()
            detail = operation()
            seconds = time.perf_counter() - began
            _answer({"seconds": seconds, "queries": statements[0], "detail": detail})
        elif command == "trace":
            import tracemalloc

            tracemalloc.start()
            operation()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            _answer({"peak_bytes": peak, "maxrss_kib": _maxrss_kib()})
        else:
            break
    # Skip tearing down millions of model objects: it can take longer than the run itself.
    sys.stdout.flush()
    os._exit(0)


def _answer(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------
# Orchestrator.
# ---------------------------------------------------------------------------------------------


@dataclass
class Measures:
    """What one kind measured over the repetitions."""

    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    detail: str = ""
    peak_bytes: int = 0
    maxrss_kib: int = 0
    ready_rss_kib: int = 0
    import_seconds: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_seconds": self.median,
            "seconds": self.seconds,
            "queries": statistics.median(self.queries) if self.queries else None,
            "detail": self.detail,
            "peak_mib": self.peak_bytes / 2**20,
            "maxrss_mib": self.maxrss_kib / 1024,
            "rss_growth_mib": (self.maxrss_kib - self.ready_rss_kib) / 1024,
            "import_seconds": self.import_seconds,
        }


class Worker:
    """A worker process for one kind."""

    def __init__(self, kind: str, url: str, models: Path, schemas: list[str], jobs: int) -> None:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            kind,
            "--url",
            url,
            "--models",
            str(models),
            "--schemas",
            ",".join(schemas),
            "--jobs",
            str(jobs),
        ]
        self.kind = kind
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent
        )
        self.measures = Measures()
        ready = self._read()
        self.measures.ready_rss_kib = ready["maxrss_kib"]
        self.measures.import_seconds = ready["import_seconds"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.kind} worker stopped (see its stderr above)")
        return dict(json.loads(line))

    def _send(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def run(self) -> None:
        answer = self._send("run")
        self.measures.seconds.append(answer["seconds"])
        self.measures.queries.append(answer["queries"])
        self.measures.detail = answer["detail"]

    def trace(self) -> None:
        answer = self._send("trace")
        self.measures.peak_bytes = answer["peak_bytes"]
        self.measures.maxrss_kib = answer["maxrss_kib"]

    def close(self) -> None:
        self._send_quit()

    def _send_quit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure_end_to_end(command: list[str], repeat: int) -> Measures:
    """`schemadoctor check` as a process: wall time and max RSS per run."""
    measures = Measures()
    # A child spawned from this (large) process inherits its peak RSS on Linux: wait4's
    # ru_maxrss overstated the check's by the benchmark's own. GNU time, a small process,
    # reports the check's alone.
    gnu_time = shutil.which("time")
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        prefix = [gnu_time, "-f", "%M", "-o", str(peak_file)] if gnu_time else []
        for _ in range(repeat):
            began = time.perf_counter()
            process = subprocess.Popen(
                [*prefix, *command],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=HERE.parent,
            )
            _, status, usage = os.wait4(process.pid, 0)
            measures.seconds.append(time.perf_counter() - began)
            code = os.waitstatus_to_exitcode(status)
            stderr = process.stderr.read().decode() if process.stderr else ""
            if code not in (0, 1):
                raise RuntimeError(f"{' '.join(command)} exited with {code}: {stderr}")
            measures.detail = f"exit {code}"
            peak = int(peak_file.read_text().split()[-1]) if gnu_time else int(usage.ru_maxrss)
            measures.maxrss_kib = max(measures.maxrss_kib, peak)
    return measures


def measure_help(repeat: int = 10) -> float:
    """Median seconds of `schemadoctor --help`."""
    script = Path(sys.executable).parent / "schemadoctor"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "schemadoctor"]
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([*command, "--help"], check=True, capture_output=True)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def compare_side_by_side(
    url: str, models: Path, schemas: list[str], repeat: int, kinds: tuple[str, ...], jobs: int
) -> dict[str, Measures]:
    """Every kind's measures, the kinds taking turns repetition by repetition."""
    workers = [Worker(kind, url, models, schemas, jobs) for kind in kinds]
    try:
        # One run each that is not counted: lazy imports and first-use caches.
        for bench_worker in workers:
            bench_worker.run()
            bench_worker.measures.seconds.clear()
            bench_worker.measures.queries.clear()
        for repetition in range(repeat):
            for bench_worker in workers:
                bench_worker.run()
            _progress(f"  repetition {repetition + 1}/{repeat}: " + _line(workers))
        for bench_worker in workers:
            bench_worker.trace()
    finally:
        for bench_worker in workers:
            bench_worker.close()
    return {bench_worker.kind: bench_worker.measures for bench_worker in workers}


def _line(workers: list[Worker]) -> str:
    return ", ".join(f"{w.kind} {w.measures.seconds[-1]:.2f} s" for w in workers)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check_command(models: Path, url: str, schemas: list[str], jobs: int) -> list[str]:
    command = [sys.executable, "-m", "schemadoctor", "check", "--models", str(models)]
    command += ["--db", url, "--format", "json", "--jobs", str(jobs)]
    for schema in schemas:
        command += ["--schema", schema]
    return command


def bench_size(dialect: str, count: int, arguments: argparse.Namespace) -> dict[str, Any]:
    """Build (or reuse) the database of ``count`` tables and measure every kind on it."""
    import build

    cache = Path(arguments.cache)
    models = build.models_path(cache, count)
    url = build.ensure_database(dialect, DEFAULT_URLS[dialect], cache, count)
    repeat = arguments.repeat
    _progress(f"{dialect}, {count} tables: {repeat} repetitions")
    measures = compare_side_by_side(url, models, [], repeat, KINDS, jobs=1)
    if not arguments.skip_e2e:
        measures["e2e"] = measure_end_to_end(_check_command(models, url, [], 1), repeat)
    return {"dialect": dialect, "tables": count, "url": _masked(url), "measures": measures}


def bench_tenants(arguments: argparse.Namespace) -> dict[str, Any]:
    """1,000 tenant schemas with schemadoctor against alembic's loop over 50 of them."""
    import build

    cache = Path(arguments.cache)
    models = build.models_path(cache, arguments.tenant_tables)
    url = build.ensure_tenants(
        DEFAULT_URLS["postgresql"], cache, arguments.tenants, arguments.tenant_tables
    )
    every = ["tenant_*"]
    some = build.tenant_schemas(arguments.tenants)[: arguments.alembic_tenants]
    _progress(f"tenants: {arguments.tenants} x {arguments.tenant_tables} tables")
    repeat = arguments.repeat
    measures: dict[str, Measures] = {}
    for jobs in sorted({1, arguments.jobs}):
        side = compare_side_by_side(url, models, every, repeat, ("floor", "check"), jobs)
        measures["floor"] = side["floor"]
        measures[f"check_jobs{jobs}"] = side["check"]
    alembic = compare_side_by_side(url, models, some, repeat, ("alembic",), 1)
    measures[f"alembic_{len(some)}"] = alembic["alembic"]
    if not arguments.skip_e2e:
        command = _check_command(models, url, every, arguments.jobs)
        measures["e2e"] = measure_end_to_end(command, repeat)
    return {
        "dialect": "postgresql",
        "tenants": arguments.tenants,
        "tables_per_tenant": arguments.tenant_tables,
        "alembic_tenants": len(some),
        "url": _masked(url),
        "measures": measures,
    }


def _masked(url: str) -> str:
    from schemadoctor.connect import mask_url

    return mask_url(url)


def _mib(value: float) -> str:
    return f"{value:.0f}"


def size_table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of the per-size results."""
    lines = [
        "| dialect | tables | floor s | reflect s | check s | alembic s | check / floor "
        "| alembic / check | round trips floor / check / alembic "
        "| peak MiB check / alembic | e2e s | e2e RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for result in results:
        m = result["measures"]
        floor, reflect, check, alembic = m["floor"], m["reflect"], m["check"], m["alembic"]
        e2e = m.get("e2e")
        end_to_end = f"{e2e.median:.2f} | {_mib(e2e.maxrss_kib / 1024)}" if e2e else " | "
        lines.append(
            f"| {result['dialect']} | {result['tables']:,} | {floor.median:.2f} "
            f"| {reflect.median:.2f} | {check.median:.2f} | {alembic.median:.2f} "
            f"| {check.median / floor.median:.2f}x | {alembic.median / check.median:.1f}x "
            f"| {_queries(floor)} / {_queries(check)} / {_queries(alembic)} "
            f"| {_mib(check.peak_bytes / 2**20)} / {_mib(alembic.peak_bytes / 2**20)} "
            f"| {end_to_end} |"
        )
    return "\n".join(lines)


def _queries(measures: Measures) -> str:
    return f"{statistics.median(measures.queries):,.0f}" if measures.queries else "-"


def tenant_table(result: dict[str, Any]) -> str:
    """The Markdown table of the tenant run."""
    lines = [
        "| measured | schemas | tables | median s | round trips | peak MiB | detail |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    per = result["tables_per_tenant"]
    for name, measures in result["measures"].items():
        schemas = result["alembic_tenants"] if name.startswith("alembic") else result["tenants"]
        # A process run has no traced peak: its peak RSS stands in, marked as such.
        peak = (
            _mib(measures.peak_bytes / 2**20)
            if measures.peak_bytes
            else f"{_mib(measures.maxrss_kib / 1024)} RSS"
        )
        lines.append(
            f"| {name} | {schemas:,} | {schemas * per:,} | {measures.median:.2f} "
            f"| {_queries(measures)} | {peak} | {measures.detail} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load[0]:.1f} at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialect", default="postgresql,mysql,sqlite")
    parser.add_argument("--tables", default="100,1000,3000", help="sizes; 0 for none")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each measure")
    parser.add_argument("--tenants", type=int, default=0, help="tenant schemas (PostgreSQL)")
    parser.add_argument("--tenant-tables", type=int, default=20)
    parser.add_argument("--alembic-tenants", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for the tenant check")
    parser.add_argument("--skip-e2e", action="store_true", help="leave out the process runs")
    parser.add_argument("--cache", default=str(HERE / ".cache"))
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--models", help=argparse.SUPPRESS)
    parser.add_argument("--schemas", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments)
        return

    print(f"Machine: {machine()}")
    print(f"`schemadoctor --help`: {measure_help():.3f} s (median of 10)\n")
    sizes = [int(size) for size in arguments.tables.split(",") if int(size)]
    results = []
    for dialect in arguments.dialect.split(","):
        for size in sizes:
            results.append(bench_size(dialect, size, arguments))
            # Each size as soon as it is measured: a long run may be cut short.
            print(size_table(results[-1:]).splitlines()[-1], flush=True)
    if results:
        print()
        print(size_table(results))
    tenants = bench_tenants(arguments) if arguments.tenants else None
    if tenants:
        print()
        print(tenant_table(tenants))
    if arguments.json:
        data = {
            "machine": machine(),
            "sizes": [_plain(result) for result in results],
            "tenants": _plain(tenants) if tenants else None,
        }
        Path(arguments.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "measures": {name: measures.to_dict() for name, measures in result["measures"].items()},
    }


if __name__ == "__main__":
    main()
