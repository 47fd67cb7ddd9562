"""Every finding kind on every dialect where it applies: build, mutate with DDL, check.

Each scenario builds ``drift_models()`` with create_all, applies the drift as plain DDL (on
SQLite, which cannot alter most things, by rebuilding the table the way migration tools do),
and asserts exactly the expected findings — kind, severity, table and column or name — and
nothing else at any severity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from compare_models import drift_models
from gate_support import snapshot_of
from schemadoctor import check

MODELS = f"{Path(__file__).resolve().parent / 'compare_models.py'}:drift_models"

Expected = tuple[str, str, str, str | None]


def _rebuild(table: str, *edits: tuple[str, str], keep_indexes: bool = True) -> tuple[str, ...]:
    """SQLite statements that recreate a drift_models() table with textual edits applied."""
    model_table = drift_models().tables[table]
    create = str(CreateTable(model_table).compile(dialect=sqlite.dialect()))
    for old, new in edits:
        assert old in create, f"{old!r} is not in {create}"
        create = create.replace(old, new)
    indexes = (
        tuple(str(CreateIndex(i).compile(dialect=sqlite.dialect())) for i in model_table.indexes)
        if keep_indexes
        else ()
    )
    return (f"DROP TABLE {table}", create, *indexes)


@dataclass(frozen=True)
class Drift:
    """One drift: the DDL per dialect (absent = not applicable) and the findings it causes."""

    name: str
    statements: dict[str, tuple[str, ...]]
    expected: tuple[Expected, ...]
    # Dialects whose findings differ from ``expected``.
    expected_on: dict[str, tuple[Expected, ...]] = field(default_factory=dict)
    relation: str | None = None


def _same(statement: str) -> dict[str, tuple[str, ...]]:
    return {dialect: (statement,) for dialect in ("sqlite", "postgresql", "mysql")}


DRIFTS = [
    Drift(
        "missing_table",
        _same("DROP TABLE posts"),
        (("missing_table", "error", "posts", None),),
    ),
    Drift(
        "extra_table",
        _same("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, note VARCHAR(20))"),
        (("extra_table", "info", "audit_log", None),),
    ),
    Drift(
        "missing_column",
        _same("ALTER TABLE users DROP COLUMN bio"),
        (("missing_column", "error", "users", "bio"),),
    ),
    Drift(
        "extra_column_nullable",
        _same("ALTER TABLE users ADD COLUMN nickname VARCHAR(20)"),
        (("extra_column", "info", "users", "nickname"),),
    ),
    Drift(
        "extra_column_not_null_with_default",
        _same("ALTER TABLE users ADD COLUMN karma INTEGER DEFAULT 0 NOT NULL"),
        (("extra_column", "info", "users", "karma"),),
    ),
    Drift(
        "extra_column_not_null_without_default",
        {
            "postgresql": ("ALTER TABLE users ADD COLUMN legacy INTEGER NOT NULL",),
            "mysql": ("ALTER TABLE users ADD COLUMN legacy INTEGER NOT NULL",),
            "sqlite": _rebuild("users", ("bio TEXT,", "bio TEXT, legacy INTEGER NOT NULL,")),
        },
        (("extra_column", "error", "users", "legacy"),),
    ),
    Drift(
        "type_narrower",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(30)",),
            "mysql": ("ALTER TABLE users MODIFY name VARCHAR(30)",),
            "sqlite": _rebuild("users", ("name VARCHAR(50)", "name VARCHAR(30)")),
        },
        (("type_mismatch", "warning", "users", "name"),),
        relation="narrower",
    ),
    Drift(
        "type_wider",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(300)",),
            "mysql": ("ALTER TABLE users MODIFY name VARCHAR(300)",),
            "sqlite": _rebuild("users", ("name VARCHAR(50)", "name VARCHAR(300)")),
        },
        (("type_mismatch", "warning", "users", "name"),),
        relation="wider",
    ),
    Drift(
        "type_text_for_varchar",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN name TYPE TEXT",),
            "mysql": ("ALTER TABLE users MODIFY name TEXT",),
            "sqlite": _rebuild("users", ("name VARCHAR(50)", "name TEXT")),
        },
        (("type_mismatch", "warning", "users", "name"),),
        relation="wider",
    ),
    Drift(
        "type_incompatible",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN age TYPE TEXT",),
            "mysql": ("ALTER TABLE users MODIFY age TEXT",),
            "sqlite": _rebuild("users", ("age INTEGER", "age TEXT")),
        },
        (("type_mismatch", "error", "users", "age"),),
        relation="incompatible",
    ),
    Drift(
        "type_integer_widened",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN age TYPE BIGINT",),
            "mysql": ("ALTER TABLE users MODIFY age BIGINT",),
        },
        (("type_mismatch", "warning", "users", "age"),),
        relation="wider",
    ),
    Drift(
        "type_precision_narrower",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(8, 2)",),
            "mysql": ("ALTER TABLE users MODIFY score NUMERIC(8, 2) DEFAULT '0'",),
            "sqlite": _rebuild("users", ("NUMERIC(10, 2)", "NUMERIC(8, 2)")),
        },
        (("type_mismatch", "warning", "users", "score"),),
        relation="narrower",
    ),
    Drift(
        "type_scale_wider",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(12, 4)",),
            "mysql": ("ALTER TABLE users MODIFY score NUMERIC(12, 4) DEFAULT '0'",),
        },
        (("type_mismatch", "warning", "users", "score"),),
        relation="wider",
    ),
    Drift(
        "type_timezone",
        {"postgresql": ("ALTER TABLE users ALTER COLUMN created TYPE TIMESTAMP WITH TIME ZONE",)},
        (("type_mismatch", "warning", "users", "created"),),
        relation="compatible",
    ),
    Drift(
        "nullability_db_not_null",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN name SET NOT NULL",),
            "mysql": ("ALTER TABLE users MODIFY name VARCHAR(50) NOT NULL",),
            "sqlite": _rebuild("users", ("name VARCHAR(50),", "name VARCHAR(50) NOT NULL,")),
        },
        (("nullability_mismatch", "error", "users", "name"),),
    ),
    Drift(
        "nullability_db_nullable",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL",),
            "mysql": ("ALTER TABLE users MODIFY email VARCHAR(100) NULL",),
            "sqlite": _rebuild("users", ("email VARCHAR(100) NOT NULL", "email VARCHAR(100)")),
        },
        (("nullability_mismatch", "warning", "users", "email"),),
    ),
    Drift(
        "nullability_db_not_null_with_default",
        {
            "postgresql": (
                "ALTER TABLE users ALTER COLUMN age SET DEFAULT 0",
                "ALTER TABLE users ALTER COLUMN age SET NOT NULL",
            ),
            "mysql": ("ALTER TABLE users MODIFY age INTEGER NOT NULL DEFAULT 0",),
            "sqlite": _rebuild("users", ("age INTEGER,", "age INTEGER DEFAULT 0 NOT NULL,")),
        },
        (
            ("nullability_mismatch", "warning", "users", "age"),
            ("default_mismatch", "info", "users", "age"),
        ),
    ),
    Drift(
        "default_changed",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN active SET DEFAULT false",),
            "mysql": ("ALTER TABLE users ALTER COLUMN active SET DEFAULT 0",),
            "sqlite": _rebuild("users", ("BOOLEAN DEFAULT 1", "BOOLEAN DEFAULT 0")),
        },
        (("default_mismatch", "warning", "users", "active"),),
    ),
    Drift(
        "default_dropped",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN score DROP DEFAULT",),
            "mysql": ("ALTER TABLE users ALTER COLUMN score DROP DEFAULT",),
            "sqlite": _rebuild("users", ("NUMERIC(10, 2) DEFAULT '0'", "NUMERIC(10, 2)")),
        },
        (("default_mismatch", "warning", "users", "score"),),
    ),
    Drift(
        "default_string_changed",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active'",),
            "mysql": ("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active'",),
            "sqlite": _rebuild("users", ("DEFAULT 'new'", "DEFAULT 'active'")),
        },
        (("default_mismatch", "warning", "users", "status"),),
    ),
    Drift(
        "autoincrement_dropped",
        {
            "postgresql": ("ALTER TABLE users ALTER COLUMN id DROP DEFAULT",),
            "mysql": ("ALTER TABLE users MODIFY id INTEGER NOT NULL",),
        },
        (("default_mismatch", "warning", "users", "id"),),
    ),
    Drift(
        "primary_key_changed",
        {
            "postgresql": (
                "ALTER TABLE posts DROP CONSTRAINT posts_pkey",
                "ALTER TABLE posts ADD PRIMARY KEY (id, user_id)",
            ),
            "mysql": (
                "ALTER TABLE posts MODIFY id INTEGER NOT NULL",
                "ALTER TABLE posts DROP PRIMARY KEY",
                "ALTER TABLE posts ADD PRIMARY KEY (id, user_id)",
            ),
            "sqlite": _rebuild("posts", ("PRIMARY KEY (id)", "PRIMARY KEY (id, user_id)")),
        },
        (("primary_key_mismatch", "error", "posts", None),),
    ),
    Drift(
        "primary_key_dropped",
        {
            "postgresql": ("ALTER TABLE posts DROP CONSTRAINT posts_pkey",),
            "mysql": (
                "ALTER TABLE posts MODIFY id INTEGER NOT NULL",
                "ALTER TABLE posts DROP PRIMARY KEY",
            ),
            "sqlite": _rebuild("posts", ("PRIMARY KEY (id), ", "")),
        },
        (("primary_key_mismatch", "error", "posts", None),),
    ),
    Drift(
        "missing_index",
        {
            "postgresql": ("DROP INDEX ix_users_name",),
            "mysql": ("DROP INDEX ix_users_name ON users",),
            "sqlite": ("DROP INDEX ix_users_name",),
        },
        (("missing_index", "warning", "users", "name"),),
    ),
    Drift(
        "missing_index_changed_columns",
        {
            "postgresql": (
                "DROP INDEX ix_posts_title",
                "CREATE INDEX ix_posts_title ON posts (title, slug)",
            ),
            "mysql": (
                "DROP INDEX ix_posts_title ON posts",
                "CREATE INDEX ix_posts_title ON posts (title, slug)",
            ),
            "sqlite": (
                "DROP INDEX ix_posts_title",
                "CREATE INDEX ix_posts_title ON posts (title, slug)",
            ),
        },
        (("missing_index", "warning", "posts", "title"),),
    ),
    Drift(
        "extra_index",
        _same("CREATE INDEX ix_users_age ON users (age)"),
        (("extra_index", "warning", "users", "age"),),
    ),
    Drift(
        "extra_unique_index",
        _same("CREATE UNIQUE INDEX ux_users_age ON users (age)"),
        (("extra_index", "warning", "users", "age"),),
        # MySQL keeps unique constraints only as unique indexes: the two cannot be told apart.
        expected_on={"mysql": (("extra_unique_constraint", "warning", "users", "age"),)},
    ),
    Drift(
        "missing_unique_constraint",
        {
            "postgresql": ("ALTER TABLE posts DROP CONSTRAINT uq_posts_user_slug",),
            # The foreign key needs an index on user_id: MySQL refuses to drop the last one.
            "mysql": (
                "CREATE INDEX ix_posts_user ON posts (user_id)",
                "ALTER TABLE posts DROP INDEX uq_posts_user_slug",
            ),
            "sqlite": _rebuild(
                "posts", ("CONSTRAINT uq_posts_user_slug UNIQUE (user_id, slug), ", "")
            ),
        },
        (("missing_unique_constraint", "warning", "posts", "uq_posts_user_slug"),),
    ),
    Drift(
        "missing_unique_column",
        {
            "postgresql": ("ALTER TABLE users DROP CONSTRAINT users_email_key",),
            "mysql": ("ALTER TABLE users DROP INDEX email",),
            "sqlite": _rebuild("users", (", \n\tUNIQUE (email)", "")),
        },
        (("missing_unique_constraint", "warning", "users", "email"),),
    ),
    Drift(
        "extra_unique_constraint",
        _same("ALTER TABLE users ADD CONSTRAINT uq_users_name UNIQUE (name)")
        | {"sqlite": _rebuild("users", ("UNIQUE (email)", "UNIQUE (email), UNIQUE (name)"))},
        (("extra_unique_constraint", "warning", "users", "name"),),
    ),
    Drift(
        "missing_foreign_key",
        {
            "postgresql": ("ALTER TABLE posts DROP CONSTRAINT fk_posts_user",),
            "mysql": ("ALTER TABLE posts DROP FOREIGN KEY fk_posts_user",),
            "sqlite": _rebuild(
                "posts",
                (
                    ", \n\tCONSTRAINT fk_posts_user FOREIGN KEY(user_id) REFERENCES users (id) "
                    "ON DELETE CASCADE",
                    "",
                ),
            ),
        },
        (("missing_foreign_key", "warning", "posts", "user_id"),),
    ),
    Drift(
        "foreign_key_on_delete_changed",
        {
            "postgresql": (
                "ALTER TABLE posts DROP CONSTRAINT fk_posts_user",
                "ALTER TABLE posts ADD CONSTRAINT fk_posts_user FOREIGN KEY (user_id) "
                "REFERENCES users (id) ON DELETE RESTRICT",
            ),
            "mysql": (
                "ALTER TABLE posts DROP FOREIGN KEY fk_posts_user",
                "ALTER TABLE posts ADD CONSTRAINT fk_posts_user FOREIGN KEY (user_id) "
                "REFERENCES users (id) ON DELETE RESTRICT",
            ),
            "sqlite": _rebuild("posts", ("ON DELETE CASCADE", "ON DELETE RESTRICT")),
        },
        (("missing_foreign_key", "warning", "posts", "user_id"),),
    ),
    Drift(
        "extra_foreign_key",
        {
            "postgresql": (
                "ALTER TABLE users ADD COLUMN referrer_id INTEGER REFERENCES users(id)",
            ),
            "mysql": (
                "ALTER TABLE users ADD COLUMN referrer_id INTEGER",
                "ALTER TABLE users ADD FOREIGN KEY (referrer_id) REFERENCES users(id)",
            ),
            "sqlite": ("ALTER TABLE users ADD COLUMN referrer_id INTEGER REFERENCES users(id)",),
        },
        (
            ("extra_column", "info", "users", "referrer_id"),
            ("extra_foreign_key", "warning", "users", "referrer_id"),
        ),
    ),
    Drift(
        "enum_label_missing",
        {
            "postgresql": ("ALTER TYPE user_status RENAME VALUE 'gone' TO 'deleted'",),
            "mysql": (
                "ALTER TABLE users MODIFY status ENUM('new', 'active') NOT NULL DEFAULT 'new'",
            ),
        },
        (("enum_mismatch", "error", "users", "status"),),
    ),
    Drift(
        "enum_label_extra",
        {
            "postgresql": ("ALTER TYPE user_status ADD VALUE 'banned'",),
            "mysql": (
                "ALTER TABLE users MODIFY status "
                "ENUM('new', 'active', 'gone', 'banned') NOT NULL DEFAULT 'new'",
            ),
        },
        (("enum_mismatch", "warning", "users", "status"),),
    ),
    Drift(
        "enum_label_order",
        {
            "mysql": (
                "ALTER TABLE users MODIFY status "
                "ENUM('active', 'new', 'gone') NOT NULL DEFAULT 'new'",
            ),
        },
        (("enum_mismatch", "info", "users", "status"),),
    ),
    Drift(
        "enum_type_missing",
        {
            "postgresql": (
                "ALTER TABLE users ALTER COLUMN status DROP DEFAULT",
                "ALTER TABLE users ALTER COLUMN status TYPE VARCHAR(10)",
                "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new'",
                "DROP TYPE user_status",
            ),
        },
        (
            ("type_mismatch", "warning", "users", "status"),
            ("enum_mismatch", "error", "users", "status"),
        ),
    ),
]


def _dialect(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def _build(url: str, writable_engine, statements: tuple[str, ...]) -> None:
    engine = writable_engine(url)
    drift_models().create_all(engine)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def _key(finding) -> Expected:
    return (
        finding.kind.value,
        finding.severity.value,
        finding.table,
        finding.column or finding.name,
    )


@pytest.mark.parametrize("drift", DRIFTS, ids=[drift.name for drift in DRIFTS])
def test_drift_is_found_exactly(db_url, writable_engine, drift: Drift):
    dialect = _dialect(db_url)
    if dialect not in drift.statements:
        pytest.skip(f"{drift.name} does not apply to {dialect}")
    _build(db_url, writable_engine, drift.statements[dialect])

    report = check(drift_models(), db_url)
    offline = check(drift_models(), snapshot_of(db_url))

    expected = drift.expected_on.get(dialect, drift.expected)
    assert sorted(_key(f) for f in report.findings) == sorted(expected), report.findings
    # A snapshot of the same database gives exactly the live findings, with no connection.
    assert offline.findings == report.findings
    failing = any(severity in ("error", "warning") for _, severity, _, _ in expected)
    assert report.exit_code == (1 if failing else 0)
    if drift.relation is not None:
        (type_finding,) = [f for f in report.findings if f.kind.value == "type_mismatch"]
        assert type_finding.details["relation"] == drift.relation
        assert drift.relation in type_finding.message or drift.relation == "compatible"


def test_no_drift_no_finding(db_url, writable_engine):
    _build(db_url, writable_engine, ())

    report = check(drift_models(), db_url, fail_on="info")

    assert report.findings == []
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("statement", "fail_on", "exit_code"),
    [
        ("CREATE TABLE audit_log (id INTEGER)", "info", 1),
        ("CREATE TABLE audit_log (id INTEGER)", "warning", 0),
        ("CREATE INDEX ix_users_age ON users (age)", "warning", 1),
        ("CREATE INDEX ix_users_age ON users (age)", "error", 0),
        ("ALTER TABLE users DROP COLUMN bio", "error", 1),
        ("ALTER TABLE users DROP COLUMN bio", "warning", 1),
    ],
)
def test_fail_on_decides_the_exit_code(
    sqlite_url, writable_engine, run_cli, statement, fail_on, exit_code
):
    _build(sqlite_url, writable_engine, (statement,))

    result = run_cli(
        "check", "--models", MODELS, "--db", sqlite_url, "--format", "json", "--fail-on", fail_on
    )

    assert result.exit_code == exit_code, result.stdout + result.stderr
    assert len(json.loads(result.stdout)["findings"]) == 1


def test_cli_reports_the_drift_on_each_dialect(db_url, writable_engine, run_cli):
    _build(db_url, writable_engine, ("ALTER TABLE users DROP COLUMN bio",))

    result = run_cli("check", "--models", MODELS, "--db", db_url, "--format", "json")

    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["kind"], f["severity"], f["table"], f["column"]) for f in findings] == [
        ("missing_column", "error", "users", "bio")
    ]


def test_alembic_version_and_excluded_tables_are_ignored(db_url, writable_engine, run_cli):
    _build(
        db_url,
        writable_engine,
        (
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
            "CREATE TABLE tmp_import_2024 (id INTEGER, payload TEXT NOT NULL)",
        ),
    )

    excluded = run_cli(
        "check", "--models", MODELS, "--db", db_url, "--fail-on", "info",
        "--exclude-table", "tmp_*",
    )  # fmt: skip
    reported = run_cli("check", "--models", MODELS, "--db", db_url, "--format", "json")

    assert excluded.exit_code == 0, excluded.stdout + excluded.stderr
    findings = json.loads(reported.stdout)["findings"]
    assert [(f["kind"], f["severity"], f["table"]) for f in findings] == [
        ("extra_table", "info", "tmp_import_2024")
    ]
    assert reported.exit_code == 0
