"""Apply a plan: all or nothing where DDL is transactional, statement by statement on MySQL.

The plan is made again on the connection that applies it, after taking the fix lock: if it
differs from the plan the user confirmed (another apply ran meanwhile), nothing runs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from schemadoctor.api import CheckRequest, check, compare_connection
from schemadoctor.connect import Database, mask_text, open_database
from schemadoctor.errors import ApplyFailedError, SchemaDoctorError
from schemadoctor.findings import Report
from schemadoctor.load import LoadedModels
from schemadoctor.plan import Plan, PlanOptions, plan_fix
from schemadoctor.schema import dialect_family

logger = logging.getLogger(__name__)

# One key for every schemadoctor apply: PostgreSQL advisory locks are per database.
ADVISORY_LOCK_KEY = 7_214_100_337


def mysql_lock_name(database: str | None) -> str:
    """MySQL's named locks are server-wide: one name per database, within the 64-character cap."""
    return f"schemadoctor.fix:{database or ''}"[:64]


_POLL_SECONDS = 0.2


@dataclass
class ApplyResult:
    """What ran, and the check made afterwards."""

    plan: Plan
    ran: list[str]
    report: Report


def apply_fix(
    models: LoadedModels,
    url: str,
    request: CheckRequest,
    options: PlanOptions,
    confirmed: Plan,
) -> ApplyResult:
    """Run the confirmed plan, then check again; ApplyFailedError says what ran and what not."""
    database = open_database(url, read_only=False, timeouts=request.timeouts, pool_size=1)
    try:
        with _connect(database) as connection, _nothing_applied_on_error(database):
            if dialect_family(database.dialect) == "mysql":
                plan, ran = _apply_one_by_one(
                    connection, database, models, request, options, confirmed
                )
            else:
                plan, ran = _apply_in_transaction(
                    connection, database, models, request, options, confirmed
                )
    finally:
        database.dispose()
    report = check(
        models,
        url,
        schemas=request.schemas,
        exclude_tables=request.exclude_tables,
        include_tables=request.include_tables,
        fail_on=request.fail_on,
        timeouts=request.timeouts,
        ignore=request.ignore,
    )
    return ApplyResult(plan=plan, ran=ran, report=report)


@contextlib.contextmanager
def _nothing_applied_on_error(database: Database) -> Iterator[None]:
    """A database error before any statement ran (taking locks, re-planning): one sentence."""
    try:
        yield
    except DBAPIError as error:
        detail = mask_text(str(error.orig or error), database.url)
        lowered = detail.lower()
        if "lock" in lowered and ("timeout" in lowered or "locked" in lowered):
            cause = (
                f"Starting the apply waited more than {database.timeouts.lock:g} s for a lock "
                "held by another session (another schemadoctor fix --apply, a migration or a "
                "long transaction?); nothing was applied; retry when the database is idle, or "
                "raise --lock-timeout."
            )
        else:
            first = " ".join(detail.strip().splitlines()[0].split()) if detail.strip() else ""
            cause = (
                f"Starting the apply failed ({first.rstrip('.')}); nothing was applied; check "
                "the database and run schemadoctor fix again."
            )
        raise ApplyFailedError(cause) from error


def _connect(database: Database) -> Connection:
    try:
        return database.engine.connect()
    except SQLAlchemyError as error:
        from schemadoctor.connect import describe_connect_error
        from schemadoctor.errors import DatabaseUnreachableError

        raise DatabaseUnreachableError(describe_connect_error(error, database.url)) from error


def _replan(
    connection: Connection,
    database: Database,
    models: LoadedModels,
    request: CheckRequest,
    options: PlanOptions,
    confirmed: Plan,
) -> Plan:
    """The plan made again under the lock; it must be the one the user confirmed."""
    drift = compare_connection(connection, models, request, database.masked_url)
    plan = plan_fix(connection, drift, options)
    if plan.statements != confirmed.statements:
        raise ApplyFailedError(
            "The database changed after the plan was shown (did another schemadoctor fix "
            "--apply run?); nothing was applied; run schemadoctor fix again to see the new plan."
        )
    return plan


def _apply_in_transaction(
    connection: Connection,
    database: Database,
    models: LoadedModels,
    request: CheckRequest,
    options: PlanOptions,
    confirmed: Plan,
) -> tuple[Plan, list[str]]:
    """PostgreSQL and SQLite: one transaction; CONCURRENTLY index builds after it."""
    postgresql = database.dialect == "postgresql"
    if postgresql:
        _take_advisory_lock(connection, request.timeouts.lock)
    ran: list[str] = []
    try:
        with connection.begin():
            _set_local_timeouts(connection, request, postgresql)
            plan = _replan(connection, database, models, request, options, confirmed)
            first = [s for c in plan.ordered if c.commit_first for s in c.statements]
            inside = [
                s
                for c in plan.ordered
                if c.transactional and not c.commit_first
                for s in c.statements
            ]
            # The plan just checked is applied in the same transaction, unless enum labels
            # must be committed before the statements that use them.
            _run(connection, database, first or inside, ran, plan.statements)
        if first:
            with connection.begin():
                _set_local_timeouts(connection, request, postgresql)
                _run(connection, database, inside, ran, plan.statements, committed=first)
        after = [s for c in plan.ordered if not c.transactional for s in c.statements]
        if after:
            _run_autocommit(connection, database, request, after, ran, plan.statements)
        return plan, ran
    finally:
        if postgresql:
            _release_advisory_lock(connection)


def _execute(connection: Connection, statement: str) -> None:
    """Run one planned statement as it was shown; the format paramstyles need % doubled."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        statement = statement.replace("%", "%%")
    connection.exec_driver_sql(statement)


def _set_local_timeouts(connection: Connection, request: CheckRequest, postgresql: bool) -> None:
    if not postgresql:
        return
    lock_ms = int(request.timeouts.lock * 1000)
    statement_ms = int(request.timeouts.statement * 1000)
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_ms}")
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {statement_ms}")


def _run(
    connection: Connection,
    database: Database,
    statements: Sequence[str],
    ran: list[str],
    everything: Sequence[str],
    committed: Sequence[str] = (),
) -> None:
    """Run statements inside the open transaction; on failure it rolls back as a whole."""
    for statement in statements:
        try:
            logger.info("Running %s", statement)
            _execute(connection, statement)
        except DBAPIError as error:
            outcome = "the transaction was rolled back, so the database is unchanged" + (
                " apart from the enum labels committed before it" if committed else ""
            )
            raise ApplyFailedError(
                _failure(database, error, statement, everything, outcome),
                ran=list(committed),
                not_run=[s for s in everything if s not in committed],
            ) from error
        ran.append(statement)


def _run_autocommit(
    connection: Connection,
    database: Database,
    request: CheckRequest,
    statements: Sequence[str],
    ran: list[str],
    everything: Sequence[str],
) -> None:
    autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
    autocommit.exec_driver_sql(f"SET lock_timeout = {int(request.timeouts.lock * 1000)}")
    autocommit.exec_driver_sql(f"SET statement_timeout = {int(request.timeouts.statement * 1000)}")
    for statement in statements:
        try:
            _execute(autocommit, statement)
        except DBAPIError as error:
            outcome = (
                f"the {len(ran)} statement(s) before it were committed and stay, "
                f"the {len(everything) - len(ran)} from it on did not run"
            )
            raise ApplyFailedError(
                _failure(database, error, statement, everything, outcome),
                ran=list(ran),
                not_run=[s for s in everything if s not in ran],
            ) from error
        ran.append(statement)


def _take_advisory_lock(connection: Connection, wait: float) -> None:
    """Hold the database's fix lock; wait at most ``wait`` seconds for another apply."""
    deadline = time.monotonic() + wait
    while True:
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        connection.commit()
        if taken:
            return
        if time.monotonic() >= deadline:
            raise ApplyFailedError(
                "Another schemadoctor fix --apply is running on this database (its lock was "
                f"held for more than {wait:g} s); nothing was applied; wait for it to finish, "
                "then run schemadoctor fix again."
            )
        time.sleep(_POLL_SECONDS)


def _release_advisory_lock(connection: Connection) -> None:
    try:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()
    except SQLAlchemyError as error:
        # Closing the connection releases the lock anyway.
        logger.info("Releasing the advisory lock failed: %s", error)


def _apply_one_by_one(
    connection: Connection,
    database: Database,
    models: LoadedModels,
    request: CheckRequest,
    options: PlanOptions,
    confirmed: Plan,
) -> tuple[Plan, list[str]]:
    """MySQL/MariaDB commit each DDL statement: run them in order, stop at the first failure."""
    autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
    autocommit.exec_driver_sql(
        f"SET SESSION lock_wait_timeout = {max(1, int(request.timeouts.lock))}"
    )
    wait = max(0, int(request.timeouts.lock))
    lock_name = mysql_lock_name(database.url.database)
    taken = autocommit.execute(
        text("SELECT GET_LOCK(:name, :wait)"), {"name": lock_name, "wait": wait}
    ).scalar()
    if not taken:
        raise ApplyFailedError(
            "Another schemadoctor fix --apply is running on this server (its lock was held for "
            f"more than {wait} s); nothing was applied; wait for it to finish, then run "
            "schemadoctor fix again."
        )
    try:
        plan = _replan(autocommit, database, models, request, options, confirmed)
        ran: list[str] = []
        for statement in plan.statements:
            try:
                logger.info("Running %s", statement)
                _execute(autocommit, statement)
            except DBAPIError as error:
                outcome = (
                    f"the {len(ran)} statement(s) before it ran and stay applied (MySQL commits "
                    f"each DDL statement), the {len(plan.statements) - len(ran)} from it on did "
                    "not run"
                )
                raise ApplyFailedError(
                    _failure(database, error, statement, plan.statements, outcome),
                    ran=list(ran),
                    not_run=plan.statements[len(ran) :],
                ) from error
            ran.append(statement)
        return plan, ran
    finally:
        try:
            autocommit.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": lock_name})
        except SQLAlchemyError as error:
            logger.info("Releasing the MySQL lock failed: %s", error)


def _failure(
    database: Database,
    error: DBAPIError,
    statement: str,
    everything: Sequence[str],
    outcome: str,
) -> str:
    """One sentence: which statement failed, why, what that left behind and what to do."""
    detail = mask_text(str(error.orig or error), database.url)
    first = " ".join(detail.strip().splitlines()[0].split()) if detail.strip() else "error"
    lowered = detail.lower()
    number = list(everything).index(statement) + 1 if statement in everything else 0
    head = " ".join(statement.split())
    head = head if len(head) <= 80 else head[:77] + "..."
    where = f"Statement {number} of {len(everything)} ({head})"
    if (
        "lock timeout" in lowered
        or "lock wait timeout" in lowered
        or "database is locked" in lowered
    ):
        cause = f"waited more than {database.timeouts.lock:g} s for a lock held by another session"
        advice = "retry when the table is idle, or raise --lock-timeout"
    elif "statement timeout" in lowered or "max_statement_time" in lowered:
        cause = f"ran longer than {database.timeouts.statement:g} s and was cancelled"
        advice = "raise --statement-timeout, or run it in a quiet hour"
    else:
        cause = f"failed ({first.rstrip('.')})"
        advice = "fix the cause, then run schemadoctor fix again"
    return f"{where} {cause}; {outcome}; {advice}."


__all__ = ["ApplyResult", "SchemaDoctorError", "apply_fix"]
