"""Turn a database URL into an engine and read-only connections, with bounded waits."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import socket
import sqlite3
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from schemadoctor.errors import ConfigurationError, DatabaseUnreachableError, ReflectionError

logger = logging.getLogger(__name__)

URL_VARIABLES = ("SCHEMADOCTOR_DATABASE_URL", "DATABASE_URL")
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_LOCK_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 120.0

_ASYNC_TO_SYNC = {
    "asyncpg": None,
    "psycopg_async": None,
    "aiomysql": "pymysql",
    "asyncmy": "pymysql",
    "aiosqlite": "pysqlite",
    "pysqlcipher": "pysqlite",
}


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for a connection, a lock and one statement, in seconds."""

    connect: float = DEFAULT_CONNECT_TIMEOUT
    lock: float = DEFAULT_LOCK_TIMEOUT
    statement: float = DEFAULT_STATEMENT_TIMEOUT


def resolve_url(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The URL from ``--db``, else from SCHEMADOCTOR_DATABASE_URL, else from DATABASE_URL."""
    if option:
        return option
    environ = os.environ if environ is None else environ
    for variable in URL_VARIABLES:
        if environ.get(variable):
            return environ[variable]
    raise ConfigurationError(
        "No database URL was given; pass --db URL or set SCHEMADOCTOR_DATABASE_URL."
    )


# Greedy up to the last @ of the word: an unencoded password may itself hold @ and :.
_PASSWORD_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://[^:/@\s]*):(?P<password>[^\s'\"]*)@")
# libpq-style key=value connection strings, as some drivers repeat them in errors.
_PASSWORD_SETTING = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd)\s*=\s*)(?:'[^']*'|[^\s;&'\"]+)", re.IGNORECASE
)
# Every password parse_url has seen in this process: masked wherever it shows up.
_KNOWN_PASSWORDS: set[str] = set()


def mask_text(text: str, url: URL | None = None) -> str:
    """Text with every password it may hold (from ``url`` or any URL in it) replaced by ***."""
    masked = _PASSWORD_IN_TEXT.sub(lambda m: f"{m.group('scheme')}:***@", text)
    masked = _PASSWORD_SETTING.sub(lambda m: f"{m.group('key')}***", masked)
    passwords = set(_KNOWN_PASSWORDS)
    if url is not None and url.password:
        passwords.add(str(url.password))
    # Limitation: a password under 4 characters is masked only where it sits in a URL, since
    # replacing it everywhere would garble the text — a longer password lifts it.
    for password in sorted((p for p in passwords if len(p) >= 4), key=len, reverse=True):
        for variant in {
            password,
            urllib.parse.quote(password, safe=""),
            urllib.parse.quote(password),
            urllib.parse.quote_plus(password),
        }:
            if variant:
                masked = masked.replace(variant, "***")
    return masked


def mask_url(url: URL | str) -> str:
    """The URL as text with its password hidden."""
    if isinstance(url, str):
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            return mask_text(url)
        url = parsed
    # mask_text also hides a password given as a query parameter (?password=...).
    return mask_text(url.render_as_string(hide_password=True), url)


def _shown_malformed(text: str) -> str:
    """How an unparsable URL may be quoted without showing a password that is in it."""
    masked = mask_text(text)
    if "@" in text and masked != text:
        return f" {masked!r}"
    if not any(char in text for char in ":@%"):
        return f" {text!r}"
    scheme, separator, _ = text.partition("://")
    return f" ({scheme}://...)" if separator and scheme.replace("+", "_").isidentifier() else ""


def parse_url(text: str) -> URL:
    """Parse a URL and point it at a synchronous driver that is installed."""
    try:
        url = make_url(text)
        url.port  # noqa: B018 - a port that is not a number fails here, not at connect time
    except (ArgumentError, ValueError):
        # ValueError: SQLAlchemy parses the port with int(), so "host:abc" fails there. No
        # chained cause: its message may quote the password.
        shown = _shown_malformed(text)
        raise ConfigurationError(
            f"The database URL{shown} is malformed; expected a URL such as "
            "postgresql://user@host:5432/dbname (a password goes after the user and a colon, "
            "percent-encoded: @ as %40), mysql://user@host/dbname or sqlite:///path.db."
        ) from None
    for password in (url.password, url.query.get("password")):
        if password and isinstance(password, str):
            _KNOWN_PASSWORDS.add(password)
    return _sync_driver(url)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _sync_driver(url: URL) -> URL:
    backend = url.get_backend_name()
    driver = url.drivername.partition("+")[2]
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql":
        if driver in ("", "asyncpg", "psycopg_async", "psycopg2", "psycopg"):
            # A plain postgresql:// means psycopg 3 since SQLAlchemy 2.1: use what is installed.
            wanted = driver if driver in ("psycopg2", "psycopg") else ""
            module = {"psycopg2": "psycopg2", "psycopg": "psycopg"}.get(wanted)
            if module is None or not _installed(module):
                wanted = "psycopg2" if _installed("psycopg2") else "psycopg"
            return url.set(drivername=f"postgresql+{wanted}")
        return url.set(drivername=f"postgresql+{driver}")
    if backend in ("mysql", "mariadb"):
        if driver in ("", "aiomysql", "asyncmy") or (
            driver == "mysqldb" and not _installed("MySQLdb")
        ):
            return url.set(drivername=f"{backend}+pymysql")
        return url
    if backend == "sqlite":
        if driver in _ASYNC_TO_SYNC:
            return url.set(drivername="sqlite+pysqlite")
        return url
    return url


@dataclass
class Database:
    """An engine for one database, plus how to show its URL safely."""

    engine: Engine
    url: URL
    read_only: bool
    timeouts: Timeouts

    @property
    def dialect(self) -> str:
        """The dialect name: postgresql, mysql or sqlite (MariaDB reports mysql)."""
        return self.engine.dialect.name

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden."""
        return mask_url(self.url)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection inside one transaction, rolled back at the end when read-only."""
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as error:
            if _is_timeout(error):
                raise describe_database_error(
                    error, self.url, "Connecting to the database"
                ) from error
            raise DatabaseUnreachableError(describe_connect_error(error, self.url)) from error
        except (TypeError, AttributeError, ValueError, LookupError) as error:
            # A driver given an option it does not know (or a bad value) fails in Python before
            # it reaches the server; only the URL's query options can have caused that.
            if not self.url.query:
                raise
            options = ", ".join(sorted(self.url.query))
            raise DatabaseUnreachableError(
                f"The {self.url.get_driver_name()} driver rejected the options of "
                f"{self.masked_url} ({options}): {mask_text(str(error), self.url)}; "
                "check the query options after '?' in the URL."
            ) from error
        try:
            _start_transaction(connection, self.read_only, self.timeouts)
            if connection.dialect.name in ("mysql", "mariadb"):
                event.listen(connection, "after_cursor_execute", _raise_skipped_table_warnings)
            yield connection
            if not self.read_only and connection.in_transaction():
                connection.commit()
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _start_transaction(connection: Connection, read_only: bool, timeouts: Timeouts) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        if read_only:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeouts.lock * 1000)}")
        connection.exec_driver_sql(
            f"SET LOCAL statement_timeout = {int(timeouts.statement * 1000)}"
        )
    elif dialect in ("mysql", "mariadb"):
        # pymysql begins the transaction at the first statement, so the session settings apply.
        connection.exec_driver_sql(f"SET SESSION lock_wait_timeout = {max(1, int(timeouts.lock))}")
        if connection.dialect.is_mariadb:  # type: ignore[attr-defined]
            connection.exec_driver_sql(f"SET SESSION max_statement_time = {timeouts.statement}")
        else:
            connection.exec_driver_sql(
                f"SET SESSION max_execution_time = {int(timeouts.statement * 1000)}"
            )
        if read_only:
            connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        else:
            connection.exec_driver_sql("SET SESSION TRANSACTION READ WRITE")


# A lock wait or statement timeout that information_schema turned into a warning.
_TIMEOUT_WARNINGS = {1205, 1969, 3024}


def _raise_skipped_table_warnings(
    connection: Connection, cursor: Any, _statement: str, _parameters: Any, *_: Any
) -> None:
    # MariaDB's information_schema skips a table it cannot lock in time and only warns: the
    # check would then read a database without that table. Turn the warning into the error.
    if not getattr(cursor, "warning_count", 0):
        return
    warnings_cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        warnings_cursor.execute("SHOW WARNINGS")
        warnings = warnings_cursor.fetchall()
    finally:
        warnings_cursor.close()
    for _level, code, message in warnings:
        if int(code) in _TIMEOUT_WARNINGS:
            raise connection.dialect.loaded_dbapi.OperationalError(int(code), message)


def open_database(
    text: str,
    *,
    read_only: bool = True,
    timeouts: Timeouts | None = None,
    pool_size: int = 5,
) -> Database:
    """An engine for the URL: synchronous driver, connect timeout, SQLite file must exist."""
    timeouts = timeouts or Timeouts()
    url = parse_url(text)
    backend = url.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        options["creator"] = _sqlite_creator(url, read_only, timeouts)
        url = url.set(database=url.database)
    elif backend == "postgresql" or backend in ("mysql", "mariadb"):
        options["connect_args"] = {"connect_timeout": max(1, int(timeouts.connect))}
        options["pool_size"] = pool_size
        if url.drivername.endswith("+pymysql"):
            # PyMySQL's connect_timeout covers only the TCP connect: a server that accepts and
            # never greets would hang the handshake, so its reads are bounded from the start.
            options["connect_args"]["read_timeout"] = timeouts.connect
            options["connect_args"]["write_timeout"] = _client_bound(timeouts)
    try:
        engine = create_engine(url, **options)
    except NoSuchModuleError as error:
        raise ConfigurationError(
            f"The database URL {mask_url(url)!r} names an unknown dialect or driver "
            f"{url.drivername!r}; use postgresql://, mysql://, mariadb:// or sqlite://."
        ) from error
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"The driver for {url.drivername!r} is not installed ({error.name}); install it, "
            "for example pip install 'schemadoctor[mysql]'."
        ) from error
    except (ArgumentError, TypeError) as error:
        raise ConfigurationError(
            f"The database URL {mask_url(url)!r} is not usable: {mask_text(str(error), url)}."
        ) from error
    if backend == "sqlite":
        _attach_sqlite_settings(engine, read_only)
    elif backend == "postgresql":
        _attach_postgresql_timeouts(engine, timeouts)
    elif url.drivername.endswith("+pymysql"):
        _attach_pymysql_read_timeout(engine, timeouts)
    return Database(engine=engine, url=url, read_only=read_only, timeouts=timeouts)


def _client_bound(timeouts: Timeouts) -> float:
    """How long the client waits for one reply: past the server's own limits, as a backstop."""
    return timeouts.statement + timeouts.lock + timeouts.connect


def _attach_postgresql_timeouts(engine: Engine, timeouts: Timeouts) -> None:
    # SQLAlchemy's first queries on a new connection (server version, hstore and type lookups)
    # run before our transaction starts; a lock on pg_type or pg_namespace would hang them.
    # SET LOCAL keeps the limits inside that transaction (safe behind PgBouncer).
    statements = (
        f"SET LOCAL lock_timeout = {int(timeouts.lock * 1000)}",
        f"SET LOCAL statement_timeout = {int(timeouts.statement * 1000)}",
    )

    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()


def _attach_pymysql_read_timeout(engine: Engine, timeouts: Timeouts) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The handshake is over: a query may now legitimately run up to the statement timeout.
        # PyMySQL reads this attribute before every reply; it has no public setter.
        if hasattr(dbapi_connection, "_read_timeout"):
            dbapi_connection._read_timeout = _client_bound(timeouts)


def _sqlite_creator(url: URL, read_only: bool, timeouts: Timeouts) -> Any:
    database = url.database or ""
    if database in ("", ":memory:"):
        raise ConfigurationError(
            "The SQLite URL names no file; give the path of an existing database, "
            "as in sqlite:///app.db."
        )
    if database.startswith("file:"):
        raise ConfigurationError(
            "SQLite URI filenames are not supported; give a plain path, as in sqlite:///app.db."
        )
    path = Path(database)
    if not path.is_file():
        raise ConfigurationError(
            f"The SQLite database {database!r} does not exist; check the path "
            "(schemadoctor never creates an empty database)."
        )
    mode = "ro" if read_only else "rw"
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode={mode}"

    def creator() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=timeouts.lock, check_same_thread=False)

    return creator


def _attach_sqlite_settings(engine: Engine, read_only: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy manage transactions; sqlite3's own implicit BEGIN is turned off.
        dbapi_connection.isolation_level = None

    # A writer takes the write lock up front: upgrading a read lock later fails at once when
    # another writer holds it, while BEGIN IMMEDIATE waits for it up to the busy timeout.
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def _accepts_connections(url: URL) -> bool:
    """Whether the URL's host takes a TCP connection on its port within a second."""
    port = url.port or _DEFAULT_PORTS.get(url.get_backend_name())
    if not url.host or port is None:
        return False
    try:
        with socket.create_connection((url.host, port), timeout=1):
            return True
    except OSError:
        return False


def describe_connect_error(error: BaseException, url: URL) -> str:
    """One sentence for a failed connection, with no password in it."""
    detail = mask_text(str(getattr(error, "orig", None) or error), url)
    first = " ".join(detail.strip().splitlines()[0].split()) if detail.strip() else ""
    lowered = detail.lower()
    where = mask_url(url)
    if "password authentication failed" in lowered or "access denied" in lowered:
        return f"The database at {where} refused the credentials; check the user and password."
    if ("does not exist" in lowered and "database" in lowered) or "unknown database" in lowered:
        return f"The database named in {where} does not exist; check its name or create it."
    if "timeout" in lowered or "timed out" in lowered:
        if _accepts_connections(url):
            # The server is there but never finished starting the session: a session start
            # reads the system catalogs, which a lock (LOCK TABLE pg_class) or load can stall.
            return (
                f"Connecting to {where} timed out after the server accepted the connection "
                "(overloaded, or a lock held on its system catalogs?); retry later or raise "
                "--connect-timeout."
            )
        return (
            f"Connecting to {where} timed out; check the host and port, or raise --connect-timeout."
        )
    if "refused" in lowered or "could not connect" in lowered or "can't connect" in lowered:
        return (
            f"Cannot connect to {where}: the server refused the connection; "
            "check that it is running and that the host and port are right."
        )
    if "translate host name" in lowered or "name or service not known" in lowered:
        return f"Cannot connect to {where}: the host name does not resolve; check the host."
    return f"Cannot connect to {where}: {first}; check the URL and that the server is reachable."


_LOCK_WAIT = ("lock timeout", "lock wait timeout", "database is locked")
_STATEMENT_TIME = ("statement timeout", "max_statement_time", "execution time")
_CANCELLED = ("canceling statement due to user request", "query execution was interrupted")
_CONNECTION_LOST = ("server closed the connection", "lost connection", "connection was killed")


def _error_text(error: BaseException) -> str:
    return str(getattr(error, "orig", None) or error).lower()


def _is_timeout(error: BaseException) -> bool:
    """Whether the server gave up waiting for a lock or on a slow statement."""
    lowered = _error_text(error)
    return any(pattern in lowered for pattern in _LOCK_WAIT + _STATEMENT_TIME)


def describe_database_error(error: BaseException, url: URL, doing: str) -> ReflectionError:
    """A ReflectionError with one sentence for a failure while ``doing`` something."""
    detail = mask_text(str(getattr(error, "orig", None) or error), url)
    first = " ".join(detail.strip().splitlines()[0].split()) if detail.strip() else ""
    lowered = detail.lower()
    if any(pattern in lowered for pattern in _LOCK_WAIT):
        return ReflectionError(
            f"{doing} waited too long for a lock held by another session (a migration or a "
            "long transaction?); retry later or raise --lock-timeout."
        )
    if any(pattern in lowered for pattern in _STATEMENT_TIME):
        return ReflectionError(
            f"{doing} took longer than the statement timeout; retry later or raise "
            "--statement-timeout."
        )
    if any(pattern in lowered for pattern in _CANCELLED):
        return ReflectionError(
            f"{doing} was cancelled by another session (an administrator or a watchdog); "
            "run the command again."
        )
    connection_lost = isinstance(error, DBAPIError) and error.connection_invalidated
    if connection_lost or any(pattern in lowered for pattern in _CONNECTION_LOST):
        return ReflectionError(
            f"The connection to {mask_url(url)} was lost while {doing.lower()}; "
            "check the server and run the command again."
        )
    return ReflectionError(f"{doing} failed: {first}; check the database and try again.")
