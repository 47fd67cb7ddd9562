"""Models for the comparison tests: a wide type matrix per dialect and a small drift schema.

Each ``*_models`` function takes no argument and returns a MetaData, so that the CLI can load
it as ``--models tests/compare_models.py:postgresql_models``.
"""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Color(enum.Enum):
    red = "red"
    green = "green"


class Mood(enum.Enum):
    happy = 1
    sad = 2


class LowerString(TypeDecorator[str]):
    impl = sa.String(30)
    cache_ok = True


class JsonText(TypeDecorator[str]):
    impl = sa.Text
    cache_ok = True


# Types that a dialect cannot create (PostgreSQL has no NVARCHAR, MySQL no CLOB...).
_UNSUPPORTED = {
    "postgresql": {"nvarchar", "datetime_", "clob", "blob", "double_", "varbinary", "binary"},
    "mysql": {"clob", "text_sized_pg"},
    "sqlite": set(),
}


def _generic_columns(dialect: str) -> list[sa.Column[Any]]:
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("integer", sa.Integer),
        sa.Column("big", sa.BigInteger),
        sa.Column("small", sa.SmallInteger),
        sa.Column("flag", sa.Boolean),
        sa.Column("flag_checked", sa.Boolean(create_constraint=True), server_default=sa.false()),
        sa.Column("flag_true", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("name", sa.String(50), nullable=False, server_default='it\'s "quoted"'),
        sa.Column("long_name", sa.String(255)),
        sa.Column("backslash", sa.String(20), server_default="back\\slash"),
        sa.Column("empty", sa.String(10), server_default=""),
        sa.Column("unicode", sa.Unicode(40)),
        sa.Column("body", sa.Text),
        sa.Column("unicode_body", sa.UnicodeText),
        sa.Column("price", sa.Numeric(12, 2), nullable=False, server_default="0"),
        sa.Column("price_text", sa.Numeric(12, 2), server_default=sa.text("1.50")),
        sa.Column("negative", sa.Numeric(5, 1), server_default="-2.5"),
        sa.Column("plain_numeric", sa.Numeric()),
        sa.Column("whole_numeric", sa.Numeric(10)),
        sa.Column("ratio", sa.Float),
        sa.Column("ratio_53", sa.Float(53)),
        sa.Column("ratio_10", sa.Float(10)),
        sa.Column("double", sa.Double),
        sa.Column("double_precision", sa.DOUBLE_PRECISION),
        sa.Column("day", sa.Date),
        sa.Column("clock", sa.Time),
        sa.Column("moment", sa.DateTime, server_default=sa.func.now()),
        sa.Column("moment_text", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("moment_tz", sa.DateTime(timezone=True)),
        sa.Column("stamp", sa.TIMESTAMP),
        sa.Column("span", sa.Interval),
        sa.Column("blob_large", sa.LargeBinary),
        sa.Column("blob_100", sa.LargeBinary(100)),
        sa.Column("document", sa.JSON),
        sa.Column("document_null", sa.JSON(none_as_null=True)),
        sa.Column("uid", sa.Uuid),
        sa.Column("uid_text", sa.Uuid(as_uuid=False)),
        sa.Column("uid_char", sa.Uuid(native_uuid=False)),
        sa.Column("color", sa.Enum(Color, name="color")),
        sa.Column("letter", sa.Enum("x", "y", "it's", name="letter"), server_default="x"),
        sa.Column("mood", sa.Enum(Mood, name="mood")),
        sa.Column("color_text", sa.Enum(Color, native_enum=False)),
        sa.Column(
            "checked",
            sa.Enum("aa", "bbbbbbbbbb", native_enum=False, create_constraint=True, name="checked"),
        ),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("one_char", sa.CHAR),
        sa.Column("national", sa.NCHAR(5)),
        sa.Column("nvarchar", sa.NVARCHAR(20)),
        sa.Column("varchar", sa.VARCHAR(10)),
        sa.Column("real", sa.REAL),
        sa.Column("pickled", sa.PickleType),
        sa.Column("lowered", LowerString),
        sa.Column("json_text", JsonText),
        sa.Column(
            "variant",
            sa.String(30).with_variant(sa.Text, "sqlite").with_variant(sa.String(60), "postgresql"),
        ),
        sa.Column("decimal", sa.DECIMAL(8, 3)),
        sa.Column("numeric_upper", sa.NUMERIC(5, 0)),
        sa.Column("int_upper", sa.INTEGER),
        sa.Column("bigint_upper", sa.BIGINT),
        sa.Column("smallint_upper", sa.SMALLINT),
        sa.Column("datetime_", sa.DATETIME),
        sa.Column("date_upper", sa.DATE),
        sa.Column("time_upper", sa.TIME),
        sa.Column("text_upper", sa.TEXT),
        sa.Column("clob", sa.CLOB),
        sa.Column("blob", sa.BLOB),
        sa.Column("boolean_upper", sa.BOOLEAN),
        sa.Column("float_upper", sa.FLOAT),
        sa.Column("double_", sa.DOUBLE),
        sa.Column("varbinary", sa.VARBINARY(20)),
        sa.Column("binary", sa.BINARY(8)),
        sa.Column("counter", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("minus_one", sa.Integer, server_default=sa.text("-1")),
        sa.Column("real_default", sa.Float, server_default=sa.text("1.5")),
        sa.Column("doubled", sa.Integer, sa.Computed("counter * 2", persisted=True)),
    ]
    if dialect != "postgresql":
        columns.append(sa.Column("text_sized", sa.Text(1000)))
    return [column for column in columns if column.name not in _UNSUPPORTED[dialect]]


def _key_tables(metadata: sa.MetaData, dialect: str) -> None:
    """Indexes, unique constraints, composite and self-referencing keys."""
    expression_indexes: list[Any] = []
    if dialect != "mysql":
        expression_indexes = [
            sa.Index("ix_parent_lower_email", sa.func.lower(sa.column("email"))),
            sa.Index(
                "ix_parent_positive",
                "score",
                postgresql_where=sa.text("score > 0"),
                sqlite_where=sa.text("score > 0"),
            ),
            sa.Index(
                "ux_parent_live_email",
                "email",
                unique=True,
                postgresql_where=sa.text("deleted IS NULL"),
                sqlite_where=sa.text("deleted IS NULL"),
            ),
        ]
    sa.Table(
        "parent",
        metadata,
        sa.Column("region", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
        sa.Column("email", sa.String(100)),
        sa.Column("created", sa.DateTime),
        sa.Column("deleted", sa.DateTime),
        sa.Column("score", sa.Integer),
        sa.Index("ix_parent_email_created", "email", "created"),
        sa.Index("ix_parent_created_desc", sa.desc("created"), "score"),
        sa.Index("ux_parent_email", "email", unique=True),
        sa.UniqueConstraint("email", "score", name="uq_parent_email_score"),
        sa.CheckConstraint("score >= 0", name="positive"),
        *expression_indexes,
    )
    sa.Table(
        "lookup",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(5)),
        sa.Index(None, "code", unique=True),
    )
    sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_region", sa.Integer, nullable=False),
        sa.Column("parent_code", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("child.id", ondelete="CASCADE")),
        sa.Column("indexed", sa.Integer, index=True),
        sa.Column("single", sa.Integer, unique=True),
        sa.Column("restricted", sa.Integer, sa.ForeignKey("lookup.id", ondelete="RESTRICT")),
        sa.Column("nulled", sa.Integer, sa.ForeignKey("lookup.id", ondelete="SET NULL")),
        sa.Column(
            "plain",
            sa.Integer,
            sa.ForeignKey("lookup.id", ondelete="NO ACTION", onupdate="CASCADE"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_region", "parent_code"],
            ["parent.region", "parent.code"],
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.Index("ix_child_parent", "parent_region", "parent_code"),
    )
    sa.Table("no_key", metadata, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer))
    if dialect != "sqlite":
        # CREATE TABLE lists the autoincrement column first in the primary key.
        sa.Table(
            "autoincrement_second",
            metadata,
            sa.Column("tenant", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Index("ix_autoincrement_second_id", "id"),
        )


def _postgresql_tables(metadata: sa.MetaData) -> None:
    status = postgresql.ENUM("new", "done", name="status")
    mood = postgresql.ENUM("happy", "sad", "it's ok", name="mood_other", schema="other")
    sa.Table(
        "pg_types",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("doc", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("doc_json", postgresql.JSON, server_default=sa.text("'[]'")),
        sa.Column("numbers", postgresql.ARRAY(sa.Integer)),
        sa.Column("matrix", postgresql.ARRAY(sa.Integer, dimensions=2)),
        sa.Column("tags", postgresql.ARRAY(sa.String(20)), server_default=sa.text("'{}'")),
        sa.Column("words", postgresql.ARRAY(sa.Text), server_default=sa.text("ARRAY[]::text[]")),
        sa.Column("statuses", postgresql.ARRAY(status)),
        sa.Column("uid", postgresql.UUID, server_default=sa.text("gen_random_uuid()")),
        sa.Column("uid_text", postgresql.UUID(as_uuid=False)),
        sa.Column("address", postgresql.INET),
        sa.Column("network", postgresql.CIDR),
        sa.Column("mac", postgresql.MACADDR),
        sa.Column("mac8", postgresql.MACADDR8),
        sa.Column("span", postgresql.INTERVAL),
        sa.Column("span_fields", postgresql.INTERVAL(fields="DAY TO SECOND")),
        sa.Column("span_precision", postgresql.INTERVAL(precision=3)),
        sa.Column("stamp_ms", postgresql.TIMESTAMP(timezone=True, precision=3)),
        sa.Column("stamp_0", postgresql.TIMESTAMP(precision=0), server_default=sa.func.now()),
        sa.Column(
            "stamp_utc",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("timezone('utc', now())"),
        ),
        sa.Column("clock_tz", postgresql.TIME(timezone=True, precision=2)),
        sa.Column("status", status, nullable=False, server_default=sa.text("'new'::status")),
        sa.Column("mood", mood, server_default="happy"),
        sa.Column("cash", postgresql.MONEY, server_default=sa.text("0")),
        sa.Column("search", postgresql.TSVECTOR),
        sa.Column("query", postgresql.TSQUERY),
        sa.Column("bits", postgresql.BIT(4)),
        sa.Column("varbits", postgresql.BIT(8, varying=True)),
        sa.Column("bit", postgresql.BIT),
        sa.Column("text_default", sa.Text, server_default=sa.text("'a''b'::text")),
        sa.Column("flag_t", sa.Boolean, server_default="t"),
        sa.Column("scientific", sa.Float, server_default=sa.text("1e3")),
        sa.Column("today", sa.Date, server_default=sa.func.current_date()),
        sa.Column("fixed_day", sa.Date, server_default=sa.text("'2020-01-01'")),
        sa.Column("now_time", sa.Time, server_default=sa.text("CURRENT_TIME")),
        sa.Column("folded", postgresql.CITEXT),
        sa.Column("pairs", postgresql.HSTORE),
        sa.Column("range", postgresql.INT4RANGE),
        sa.Column("stamps", postgresql.TSTZRANGE),
        sa.Column("days", postgresql.DATEMULTIRANGE),
        sa.Column("raw", postgresql.BYTEA),
        sa.Column("fixed", postgresql.CHAR(2)),
        sa.Column("unbounded", postgresql.VARCHAR),
        sa.Column("upper_name", sa.String(20), sa.Computed("upper(fixed)", persisted=True)),
        sa.Column("stepped", sa.Integer, sa.Identity(start=10, increment=5)),
        sa.Column("sequenced", sa.BigInteger, server_default=sa.text("nextval('my_sequence')")),
    )
    sa.Table("serial_big", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table("serial_small", metadata, sa.Column("id", sa.SmallInteger, primary_key=True))
    sa.Table(
        "elsewhere",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mood", mood),
        sa.Column("plain_enum", sa.Enum("a", "b", name="plain_enum")),
        sa.Column("inherited", sa.Enum("x", "y", name="inherited_enum", inherit_schema=True)),
        sa.Column(
            "pg_type_id",
            sa.ForeignKey("pg_types.id", ondelete="SET NULL", onupdate="CASCADE"),
        ),
        schema="other",
    )
    sa.Table(
        "points_elsewhere",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("elsewhere_id", sa.ForeignKey("other.elsewhere.id", ondelete="RESTRICT")),
    )


def _mysql_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        "my_types",
        metadata,
        sa.Column("id", mysql.INTEGER(unsigned=True), primary_key=True),
        sa.Column("tiny_bool", mysql.TINYINT(1)),
        sa.Column("tiny_4", mysql.TINYINT(4)),
        sa.Column("tiny_unsigned", mysql.TINYINT(unsigned=True)),
        sa.Column("flag_zero", sa.Boolean, server_default=sa.text("0")),
        sa.Column("flag_one", sa.Boolean, server_default="1"),
        sa.Column("micro", mysql.DATETIME(fsp=6), server_default=sa.text("CURRENT_TIMESTAMP(6)")),
        sa.Column("stamp", mysql.TIMESTAMP, server_default=sa.func.current_timestamp()),
        sa.Column(
            "touched",
            sa.TIMESTAMP,
            server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
        ),
        sa.Column("stamp_ms", mysql.TIMESTAMP(fsp=3), nullable=True),
        sa.Column("big_unsigned", mysql.BIGINT(unsigned=True)),
        sa.Column("small_unsigned", mysql.SMALLINT(unsigned=True)),
        sa.Column("medium", mysql.MEDIUMINT),
        sa.Column("display_width", mysql.INTEGER(display_width=11)),
        sa.Column("choice", mysql.ENUM("a", "b", "it's"), server_default="a"),
        sa.Column("named_choice", sa.Enum("x", "y", name="named_choice"), nullable=False),
        sa.Column("options", mysql.SET("x", "y")),
        sa.Column("document", mysql.JSON),
        sa.Column("medium_text", mysql.MEDIUMTEXT),
        sa.Column("long_text", mysql.LONGTEXT),
        sa.Column("tiny_text", mysql.TINYTEXT),
        sa.Column("text_100", sa.Text(100)),
        sa.Column("year", mysql.YEAR),
        sa.Column("year_4", mysql.YEAR(4)),
        sa.Column("amount", mysql.DECIMAL(10, 3), server_default="0"),
        sa.Column("amount_text", sa.Numeric(12, 2), server_default=sa.text("'1.5'")),
        sa.Column("amount_unsigned", mysql.DECIMAL(5, 2, unsigned=True)),
        sa.Column("var_binary", mysql.VARBINARY(16)),
        sa.Column("fixed_binary", mysql.BINARY(16)),
        sa.Column("medium_blob", mysql.MEDIUMBLOB),
        sa.Column("long_blob", mysql.LONGBLOB),
        sa.Column("bit_1", mysql.BIT(1)),
        sa.Column("bit_8", mysql.BIT(8)),
        sa.Column("double_scaled", mysql.DOUBLE(precision=10, scale=2, asdecimal=True)),
        sa.Column("real_upper", mysql.REAL),
        sa.Column("float_scaled", mysql.FLOAT(precision=7, scale=3)),
        sa.Column("quoted_text", sa.String(40), server_default=sa.text("'a''b'")),
        sa.Column("national_char", mysql.NCHAR(3)),
        sa.Column("national_varchar", mysql.NVARCHAR(30)),
        sa.Column("latin", mysql.VARCHAR(30, charset="latin1")),
        sa.Column("binary_collation", mysql.VARCHAR(30, collation="utf8mb4_bin")),
        sa.Column("today", sa.Date, server_default=sa.text("(CURRENT_DATE)")),
        sa.Column("clock_ms", mysql.TIME(fsp=3)),
        sa.Column("generated", sa.String(36), server_default=sa.text("(uuid())")),
        sa.Column("virtual", sa.Integer, sa.Computed("tiny_4 + 1")),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
    )


def _sqlite_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        "lite_types",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stamp", sa.DateTime, server_default=sa.text("(datetime('now'))")),
        sa.Column("today", sa.Date, server_default=sa.text("CURRENT_DATE")),
        sa.Column("doc", sa.JSON, server_default=sa.text("'{}'")),
    )


def roundtrip_metadata(dialect: str) -> sa.MetaData:
    """Every generic type plus the dialect's own types, indexes and keys."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    sa.Table("generic", metadata, *_generic_columns(dialect))
    _key_tables(metadata, dialect)
    {"postgresql": _postgresql_tables, "mysql": _mysql_tables, "sqlite": _sqlite_tables}[dialect](
        metadata
    )
    return metadata


def domain_metadata() -> sa.MetaData:
    """PostgreSQL DOMAIN columns: NOT NULL, default and check come from the domain."""
    metadata = sa.MetaData()
    positive = postgresql.DOMAIN(
        "positive", sa.Integer, default=sa.text("1"), not_null=True, check="VALUE > 0"
    )
    sa.Table(
        "domains",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("quantity", positive),
        sa.Column("quantity_five", positive, server_default=sa.text("5")),
        sa.Column("mail", postgresql.DOMAIN("mail", sa.String(200), check="VALUE LIKE '%@%'")),
    )
    return metadata


def sqlite_models() -> sa.MetaData:
    """The round-trip models for SQLite."""
    return roundtrip_metadata("sqlite")


def postgresql_models() -> sa.MetaData:
    """The round-trip models for PostgreSQL."""
    return roundtrip_metadata("postgresql")


def mysql_models() -> sa.MetaData:
    """The round-trip models for MariaDB / MySQL."""
    return roundtrip_metadata("mysql")


# Statements a PostgreSQL database needs before create_all of the round-trip models.
POSTGRESQL_SETUP = (
    "CREATE SCHEMA other",
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE EXTENSION IF NOT EXISTS hstore",
    "CREATE SEQUENCE my_sequence",
)


def drift_models() -> sa.MetaData:
    """A small application: users, posts and tags, on which the drift tests act."""
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(50)),
        sa.Column("age", sa.Integer),
        sa.Column("bio", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "status",
            sa.Enum("new", "active", "gone", name="user_status"),
            nullable=False,
            server_default="new",
        ),
        sa.Column("created", sa.DateTime, server_default=sa.func.now()),
        sa.Column("score", sa.Numeric(10, 2), server_default="0"),
        sa.Index("ix_users_name", "name"),
    )
    sa.Table(
        "posts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_posts_user"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(50)),
        sa.UniqueConstraint("user_id", "slug", name="uq_posts_user_slug"),
        sa.Index("ix_posts_title", "title"),
    )
    return metadata
