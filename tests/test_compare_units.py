"""Fast tests of the comparison on in-memory shapes: types, defaults, keys and enums.

They pin alembic's known false alarms that schemadoctor must not raise (MariaDB spelling of
defaults, quotes in string defaults) and what alembic misses that it must catch (primary key
changes, PostgreSQL enum labels).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from schemadoctor.compare import compare_schemas
from schemadoctor.compare.columns import _compare_column
from schemadoctor.compare.defaults import normalize_default, quote_literal
from schemadoctor.compare.types import _NAMES, TypeRelation, is_harmless, parse_type, relate
from schemadoctor.findings import Kind, Severity
from schemadoctor.schema import ColumnShape, EnumShape, SchemaShape, TableShape


@pytest.mark.parametrize(
    ("dialect", "model", "db"),
    [
        ("postgresql", "VARCHAR(50)", "character varying(50)"),
        ("postgresql", "TIMESTAMP WITH TIME ZONE", "timestamptz"),
        ("postgresql", "DOUBLE PRECISION", "float8"),
        ("postgresql", "FLOAT", "double precision"),
        ("postgresql", "NUMERIC(12, 2)", "numeric(12,2)"),
        ("postgresql", "VARCHAR(20)[]", "character varying(20)[]"),
        ("postgresql", "INTERVAL DAY TO SECOND", "INTERVAL"),
        ("postgresql", "TIMESTAMP", "timestamp(6) without time zone"),
        ("mysql", "DATETIME", "datetime(0)"),
        ("mysql", "BOOL", "tinyint(1)"),
        ("mysql", "INTEGER", "int(11)"),
        ("mysql", "INTEGER UNSIGNED", "int(10) unsigned"),
        ("mysql", "DATETIME(6)", "datetime(6)"),
        ("mysql", "YEAR", "year(4)"),
        ("mysql", "NUMERIC", "decimal(10,0)"),
        ("mysql", "VARCHAR(30) CHARACTER SET latin1", "varchar(30)"),
        ("mysql", "TEXT(1000)", "text"),
        ("mysql", "TEXT(50)", "tinytext"),
        ("mysql", "BLOB(100)", "tinyblob"),
        ("mysql", "ENUM('a','it''s')", "enum('a','it''s')"),
        ("sqlite", "VARCHAR(160)", "NVARCHAR(160)"),
        ("sqlite", "INTEGER", "INT"),
        ("sqlite", "BIGINT", "INTEGER"),
        ("sqlite", "REAL", "DOUBLE"),
    ],
)
def test_spellings_of_one_type_are_equal(dialect, model, db):
    relation = relate(dialect, parse_type(dialect, model), parse_type(dialect, db))

    assert relation == TypeRelation.EQUAL


@pytest.mark.parametrize(
    ("dialect", "model", "db", "relation"),
    [
        ("postgresql", "VARCHAR(100)", "character varying(50)", TypeRelation.NARROWER),
        ("postgresql", "VARCHAR(50)", "character varying(100)", TypeRelation.WIDER),
        ("postgresql", "VARCHAR(50)", "text", TypeRelation.WIDER),
        ("postgresql", "INTEGER", "text", TypeRelation.INCOMPATIBLE),
        ("postgresql", "INTEGER", "bigint", TypeRelation.WIDER),
        ("postgresql", "INTEGER", "smallint", TypeRelation.NARROWER),
        ("postgresql", "NUMERIC(10, 2)", "numeric(8,2)", TypeRelation.NARROWER),
        ("postgresql", "NUMERIC(10, 2)", "numeric(12,4)", TypeRelation.WIDER),
        ("postgresql", "TIMESTAMP WITHOUT TIME ZONE", "timestamptz", TypeRelation.COMPATIBLE),
        ("postgresql", "JSONB", "json", TypeRelation.COMPATIBLE),
        ("postgresql", "UUID", "integer", TypeRelation.INCOMPATIBLE),
        ("postgresql", "VARCHAR(20)[]", "character varying(10)[]", TypeRelation.NARROWER),
        ("postgresql", "BOOLEAN", "integer", TypeRelation.INCOMPATIBLE),
        ("mysql", "BOOL", "int(11)", TypeRelation.COMPATIBLE),
        ("mysql", "DATETIME", "timestamp", TypeRelation.COMPATIBLE),
        ("mysql", "VARCHAR(255)", "tinytext", TypeRelation.EQUAL),
        ("mysql", "TEXT", "mediumtext", TypeRelation.WIDER),
        ("mysql", "TEXT(100000)", "text", TypeRelation.NARROWER),
        ("mysql", "INTEGER", "int(10) unsigned", TypeRelation.COMPATIBLE),
        ("mysql", "DATE", "varchar(10)", TypeRelation.INCOMPATIBLE),
        ("mysql", "JSON", "longtext", TypeRelation.COMPATIBLE),
        ("postgresql", "TIMESTAMP", "timestamp(0) without time zone", TypeRelation.NARROWER),
        ("sqlite", "DATETIME", "TEXT", TypeRelation.COMPATIBLE),
        ("sqlite", "INTEGER", "TEXT", TypeRelation.INCOMPATIBLE),
        ("sqlite", "VARCHAR(50)", "VARCHAR(20)", TypeRelation.NARROWER),
    ],
)
def test_type_relations(dialect, model, db, relation):
    assert relate(dialect, parse_type(dialect, model), parse_type(dialect, db)) == relation


@pytest.mark.parametrize(
    ("dialect", "model", "db", "harmless"),
    [
        ("mysql", "INTEGER", "int(10) unsigned", True),
        ("postgresql", "JSONB", "json", True),
        ("sqlite", "DATETIME", "TEXT", True),
        ("mysql", "DATETIME", "timestamp", True),
        ("mysql", "VARCHAR(20)", "char(20)", True),
        ("mysql", "DATETIME(6)", "timestamp", False),
        ("postgresql", "VARCHAR(20)", "character(20)", False),
        ("postgresql", "TIMESTAMP", "timestamptz", False),
    ],
)
def test_only_value_preserving_differences_are_harmless(dialect, model, db, harmless):
    assert is_harmless(dialect, parse_type(dialect, model), parse_type(dialect, db)) == harmless


@pytest.mark.parametrize(
    ("dialect", "type_text", "model", "db"),
    [
        # alembic's false alarms on MariaDB.
        ("mysql", "DATETIME", "now()", "current_timestamp()"),
        ("mysql", "TIMESTAMP", "CURRENT_TIMESTAMP", "current_timestamp()"),
        ("mysql", "DATETIME(6)", "CURRENT_TIMESTAMP(6)", "current_timestamp(6)"),
        ("mysql", "BOOL", "true", "1"),
        ("mysql", "BOOL", "false", "0"),
        ("mysql", "NUMERIC(12, 2)", "'0'", "0.00"),
        ("mysql", "NUMERIC(12, 2)", "'1.5'", "1.50"),
        (
            "mysql",
            "TIMESTAMP",
            "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
            "current_timestamp() ON UPDATE current_timestamp()",
        ),
        ("mysql", "VARCHAR(20)", quote_literal("back\\slash", "mysql"), "'back\\\\slash'"),
        ("mysql", "VARCHAR(20)", quote_literal("it's", "mysql"), "'it''s'"),
        ("mysql", "DATE", "(CURRENT_DATE)", "curdate()"),
        ("mysql", "VARCHAR(36)", "(uuid())", "uuid()"),
        # String defaults with quotes: alembic crashes on these on PostgreSQL.
        (
            "postgresql",
            "VARCHAR(40)",
            quote_literal('it\'s "quoted"'),
            "'it''s \"quoted\"'::character varying",
        ),
        ("postgresql", "TEXT", "'a''b'::text", "'a''b'::text"),
        ("postgresql", "BOOLEAN", "true", "true"),
        ("postgresql", "BOOLEAN", "'t'", "true"),
        ("postgresql", "NUMERIC(12, 2)", "'0'", "0"),
        ("postgresql", "INTEGER", "-1", "'-1'::integer"),
        ("postgresql", "NUMERIC(5, 1)", "'-2.5'", "'-2.5'::numeric"),
        ("postgresql", "JSONB", "'{}'::jsonb", "'{}'::jsonb"),
        ("postgresql", "TEXT[]", "ARRAY[]::text[]", "ARRAY[]::text[]"),
        ("postgresql", "TIMESTAMP", "now()", "CURRENT_TIMESTAMP"),
        ("postgresql", "DATE", "'2020-01-01'", "'2020-01-01'::date"),
        ("postgresql", "user_status", "'new'", "'new'::user_status"),
        ("postgresql", "BIGINT", "nextval('seq')", "nextval('\"public\".seq'::regclass)"),
        ("sqlite", "DATETIME", "(datetime('now'))", "CURRENT_TIMESTAMP"),
        ("sqlite", "BOOLEAN", "1", "'1'"),
        ("sqlite", "NUMERIC(10, 2)", "'0'", "0"),
    ],
)
def test_spellings_of_one_default_are_equal(dialect, type_text, model, db):
    signature = parse_type(dialect, type_text)

    model_default = normalize_default(model, signature, dialect)

    assert model_default is not None
    assert model_default == normalize_default(db, signature, dialect)


@pytest.mark.parametrize(
    ("dialect", "type_text", "model", "db"),
    [
        ("mysql", "BOOL", "true", "0"),
        ("mysql", "NUMERIC(12, 2)", "'0'", "1.50"),
        ("mysql", "TIMESTAMP", "CURRENT_TIMESTAMP", "current_timestamp() ON UPDATE now()"),
        ("postgresql", "VARCHAR(10)", "'new'", "'active'::character varying"),
        ("postgresql", "TEXT", "'it''s'", "'its'::text"),
        ("sqlite", "VARCHAR(10)", "'x'", "'X'"),
    ],
)
def test_different_defaults_stay_different(dialect, type_text, model, db):
    signature = parse_type(dialect, type_text)

    assert normalize_default(model, signature, dialect) != normalize_default(db, signature, dialect)


def test_null_default_is_no_default():
    assert normalize_default("NULL") is None
    assert normalize_default(None) is None


def _schema(dialect: str, *tables: TableShape, enums: tuple[EnumShape, ...] = ()) -> SchemaShape:
    shape = SchemaShape(dialect=dialect, default_schema="public")
    shape.tables = {(table.schema, table.name): table for table in tables}
    shape.enums = {(enum.schema, enum.name): enum for enum in enums}
    return shape


def _table(primary_key: tuple[str, ...], *columns: ColumnShape) -> TableShape:
    return TableShape(name="t", schema="public", columns=columns, primary_key=primary_key)


ID = ColumnShape("id", "INTEGER", nullable=False)
CODE = ColumnShape("code", "VARCHAR(10)", nullable=False)


def test_primary_key_change_is_an_error():
    model = _schema("postgresql", _table(("id",), ID, CODE))
    db = _schema("postgresql", _table(("code",), ID, CODE))

    findings = compare_schemas(model, db)

    assert [(f.kind, f.severity, f.expected, f.actual) for f in findings] == [
        (Kind.PRIMARY_KEY_MISMATCH, Severity.ERROR, "id", "code")
    ]


def test_primary_key_column_order_is_not_drift():
    model = _schema("postgresql", _table(("id", "code"), ID, CODE))
    db = _schema("postgresql", _table(("code", "id"), ID, CODE))

    assert compare_schemas(model, db) == []


def _enum_schema(labels: tuple[str, ...]) -> SchemaShape:
    column = ColumnShape(
        "state",
        "state",
        enum_name="state",
        enum_schema="public",
        enum_labels=labels,
    )
    return _schema(
        "postgresql",
        _table(("id",), ID, column),
        enums=(EnumShape("state", "public", labels),),
    )


def test_missing_postgresql_enum_label_is_an_error():
    findings = compare_schemas(_enum_schema(("a", "b", "c")), _enum_schema(("a", "b")))

    assert [(f.kind, f.severity, f.table, f.column, f.name) for f in findings] == [
        (Kind.ENUM_MISMATCH, Severity.ERROR, "t", "state", "state")
    ]
    assert findings[0].details["missing_labels"] == ["c"]


def test_extra_postgresql_enum_label_is_a_warning():
    findings = compare_schemas(_enum_schema(("a",)), _enum_schema(("a", "b")))

    assert [(f.kind, f.severity) for f in findings] == [(Kind.ENUM_MISMATCH, Severity.WARNING)]


def test_quoted_string_default_compares_without_error():
    column = ColumnShape("note", "VARCHAR(20)", default="'it''s'")
    db_column = ColumnShape("note", "character varying(20)", default="'it''s'::character varying")
    model = _schema("postgresql", _table(("id",), ID, column))
    db = _schema("postgresql", _table(("id",), ID, db_column))

    assert compare_schemas(model, db) == []


def test_extra_not_null_column_without_default_is_an_error():
    model = _schema("mysql", _table(("id",), ID))
    db = _schema("mysql", _table(("id",), ID, ColumnShape("legacy", "int(11)", nullable=False)))

    findings = compare_schemas(model, db)

    assert [(f.kind, f.severity, f.column) for f in findings] == [
        (Kind.EXTRA_COLUMN, Severity.ERROR, "legacy")
    ]


def test_incompatible_type_says_so_and_widening_says_so():
    model = _schema(
        "postgresql",
        _table(("id",), ID, ColumnShape("age", "INTEGER"), ColumnShape("name", "VARCHAR(50)")),
    )
    db = _schema(
        "postgresql",
        _table(("id",), ID, ColumnShape("age", "text"), ColumnShape("name", "varchar(100)")),
    )

    findings = {f.column: f for f in compare_schemas(model, db)}

    assert findings["age"].severity == Severity.ERROR
    assert findings["age"].details["relation"] == "incompatible"
    assert "incompatible" in findings["age"].message
    assert findings["name"].severity == Severity.WARNING
    assert findings["name"].details["relation"] == "wider"
    assert "wider" in findings["name"].message


# Type texts of every family the comparison knows, as models and catalogs spell them.
_TYPE_TEXTS = [
    *(name.upper() for name in _NAMES),
    *("VARCHAR(50)", "character varying(320)", "NUMERIC(12, 2)", "decimal(10,0)", "CHAR(3)"),
    *("TIMESTAMP(6) WITH TIME ZONE", "int(10) unsigned", "VARCHAR(30) CHARACTER SET latin1"),
    *("INTEGER[]", "character varying(20)[]", "ENUM('a','it''s')", "SET('x','y')", "TEXT(50)"),
    *("INTERVAL DAY TO SECOND", "BIT(8)", "geometry", "MYTYPE", "", "?"),
]
_DEFAULTS = [None, "0", "'a'", "'it''s'", "CURRENT_TIMESTAMP", "now()", "(1 + 2)", "NULL"]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
@pytest.mark.parametrize("type_text", _TYPE_TEXTS)
def test_a_column_read_back_exactly_as_modelled_has_no_finding(dialect, type_text):
    # compare_columns skips the rules for a column whose facts equal the model's: every rule
    # must find nothing between equal facts, whatever the type, default and flags.
    for default, nullable, autoincrement, computed, labels, in_key in itertools.product(
        _DEFAULTS, (True, False), (True, False), (None, "a + 1"), (None, ("a", "b")), (True, False)
    ):
        column = ColumnShape(
            "c",
            type_text,
            nullable,
            default,
            autoincrement,
            computed,
            "mood" if labels and dialect == "postgresql" else None,
            "public" if labels and dialect == "postgresql" else None,
            labels,
        )
        key = ("c",) if in_key else ()
        model = TableShape("t", "s", (column,), primary_key=key)
        db = TableShape("t", "s", (replace(column),), primary_key=key)

        findings = list(_compare_column(dialect, model, column, db.columns[0], db.primary_key))

        assert findings == [], (column, findings)
