"""Column types reduced to comparable signatures, per dialect.

Both sides arrive as DDL type text: the models' types compiled for the database's dialect (what
``create_all`` would emit) and the database's own spelling from its catalog. Parsing both into
the same signature makes ``VARCHAR(50)`` equal ``character varying(50)`` and MySQL's
``tinyint(1)`` equal ``BOOL``, while length, precision, scale and time zone stay significant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class TypeRelation(StrEnum):
    """How the database's type stands to the models' type."""

    EQUAL = "equal"
    # The database column holds less than the model allows: widening it is safe.
    NARROWER = "narrower"
    # The database column holds more than the model allows: narrowing would be lossy.
    WIDER = "wider"
    # Same kind of value, different flavour (json / jsonb, timestamp / datetime, sizes).
    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"


@dataclass(frozen=True)
class TypeSignature:
    """The parts of a column type that decide what values it holds."""

    family: str
    name: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    size: int | None = None
    timezone: bool = False
    unsigned: bool = False
    fixed: bool = False
    labels: tuple[str, ...] = ()
    item: TypeSignature | None = None


_NUMERIC_FAMILIES = {"integer", "decimal", "float", "boolean"}
_STRING_FAMILIES = {"string", "text"}

# Name (lower case, spaces collapsed) -> (family, size).
_NAMES: dict[str, tuple[str, int | None]] = {
    "tinyint": ("integer", 1),
    "smallint": ("integer", 2),
    "int2": ("integer", 2),
    "smallserial": ("integer", 2),
    "serial2": ("integer", 2),
    "mediumint": ("integer", 3),
    "int": ("integer", 4),
    "integer": ("integer", 4),
    "int4": ("integer", 4),
    "serial": ("integer", 4),
    "serial4": ("integer", 4),
    "bigint": ("integer", 8),
    "int8": ("integer", 8),
    "bigserial": ("integer", 8),
    "serial8": ("integer", 8),
    "boolean": ("boolean", None),
    "bool": ("boolean", None),
    "bit": ("bit", None),
    "bit varying": ("bit", None),
    "varbit": ("bit", None),
    "numeric": ("decimal", None),
    "decimal": ("decimal", None),
    "dec": ("decimal", None),
    "fixed": ("decimal", None),
    "money": ("money", None),
    "real": ("float", 4),
    "float4": ("float", 4),
    "double precision": ("float", 8),
    "double": ("float", 8),
    "float8": ("float", 8),
    "float": ("float", None),
    "varchar": ("string", None),
    "character varying": ("string", None),
    "nvarchar": ("string", None),
    "national character varying": ("string", None),
    "national varchar": ("string", None),
    "varchar2": ("string", None),
    "nvarchar2": ("string", None),
    "char": ("char", None),
    "character": ("char", None),
    "nchar": ("char", None),
    "national character": ("char", None),
    "national char": ("char", None),
    "bpchar": ("char", None),
    "tinytext": ("text", 1),
    "text": ("text", 2),
    "mediumtext": ("text", 3),
    "longtext": ("text", 4),
    "clob": ("text", 4),
    "ntext": ("text", 4),
    "citext": ("citext", None),
    "bytea": ("binary", None),
    "tinyblob": ("binary", 1),
    "blob": ("binary", 2),
    "mediumblob": ("binary", 3),
    "longblob": ("binary", 4),
    "binary": ("binary", None),
    "varbinary": ("binary", None),
    "date": ("date", None),
    "time": ("time", None),
    "time without time zone": ("time", None),
    "time with time zone": ("time", None),
    "timetz": ("time", None),
    "timestamp": ("datetime", None),
    "timestamp without time zone": ("datetime", None),
    "timestamp with time zone": ("datetime", None),
    "timestamptz": ("datetime", None),
    "datetime": ("datetime", None),
    "datetime2": ("datetime", None),
    "smalldatetime": ("datetime", None),
    "year": ("year", None),
    "interval": ("interval", None),
    "json": ("json", None),
    "jsonb": ("jsonb", None),
    "uuid": ("uuid", None),
    "uniqueidentifier": ("uuid", None),
    "inet": ("inet", None),
    "cidr": ("cidr", None),
    "macaddr": ("macaddr", None),
    "macaddr8": ("macaddr8", None),
    "xml": ("xml", None),
    "tsvector": ("tsvector", None),
    "tsquery": ("tsquery", None),
    "enum": ("enum", None),
    "set": ("set", None),
    "oid": ("oid", None),
    "int4range": ("range", None),
    "int8range": ("range", None),
    "numrange": ("range", None),
    "tsrange": ("range", None),
    "tstzrange": ("range", None),
    "daterange": ("range", None),
    "hstore": ("hstore", None),
}

_SUFFIX_FLAGS = re.compile(r"\b(unsigned|zerofill|signed)\b")
_CHARSET = re.compile(r"\b(character set|charset|collate)\s+\S+")
_ARRAY_SUFFIX = re.compile(r"(\[\d*\])+$")


def _split_call(text: str) -> tuple[str, str | None, str]:
    """Split ``name(args) suffix`` at the outermost parentheses, quotes respected."""
    start = text.find("(")
    if start < 0:
        return text, None, ""
    depth = 0
    in_quote = False
    index = start
    while index < len(text):
        char = text[index]
        if in_quote:
            if char == "'" and text[index + 1 : index + 2] == "'":
                index += 1
            elif char == "'":
                in_quote = False
        elif char == "'":
            in_quote = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[:start].strip(), text[start + 1 : index], text[index + 1 :].strip()
        index += 1
    return text, None, ""


def split_labels(arguments: str) -> tuple[str, ...]:
    """The quoted labels of ``'a','b'`` (ENUM / SET arguments), unescaped."""
    labels: list[str] = []
    for match in re.finditer(r"'((?:[^']|'')*)'", arguments):
        labels.append(match.group(1).replace("''", "'").replace("\\\\", "\\"))
    return tuple(labels)


def _integers(arguments: str | None) -> list[int]:
    if not arguments:
        return []
    return [int(part) for part in re.findall(r"-?\d+", arguments)]


@lru_cache(maxsize=4096)
def parse_type(dialect: str, text: str) -> TypeSignature:
    """Parse DDL type text as ``dialect`` spells it into a signature.

    Cached: a large schema spells the same few dozen types tens of thousands of times.
    """
    raw = " ".join(text.strip().split())
    lowered = raw.lower()

    array = _ARRAY_SUFFIX.search(lowered)
    if array:
        item = parse_type(dialect, raw[: array.start()])
        return TypeSignature(family="array", name="array", item=item)

    name, arguments, suffix = _split_call(raw)
    lowered_name = name.lower().strip('"`')
    suffix_lower = _CHARSET.sub("", suffix.lower())
    unsigned = "unsigned" in _SUFFIX_FLAGS.findall(f"{lowered_name} {suffix_lower}")
    suffix_lower = " ".join(_SUFFIX_FLAGS.sub("", suffix_lower).split())
    full_name = " ".join(f"{lowered_name} {suffix_lower}".split())
    if full_name not in _NAMES:
        full_name = " ".join(_SUFFIX_FLAGS.sub("", lowered_name).split())

    if full_name in ("enum", "set"):
        labels = split_labels(arguments or "")
        return TypeSignature(family=full_name, name=full_name, labels=labels)
    if full_name.startswith("interval "):
        # Limitation: an INTERVAL's field list (DAY TO SECOND...) is not compared — it only
        # truncates values, and the readers spell it inconsistently.
        full_name = "interval"
    known = _NAMES.get(full_name)
    if known is None:
        if dialect == "sqlite":
            return _sqlite_affinity(full_name, arguments)
        return TypeSignature(family="other", name=full_name, length=None)
    family, size = known
    numbers = _integers(arguments)
    return _signature(dialect, family, full_name, size, numbers, unsigned)


def _signature(
    dialect: str, family: str, name: str, size: int | None, numbers: list[int], unsigned: bool
) -> TypeSignature:
    timezone = "with time zone" in name or name in ("timestamptz", "timetz")
    if family == "integer":
        if dialect == "mysql" and name == "tinyint" and numbers == [1]:
            return TypeSignature(family="boolean", name="boolean")
        # Display widths such as int(11) do not change what a MySQL column holds.
        return TypeSignature(family, _integer_name(size), size=size, unsigned=unsigned)
    if family == "decimal":
        precision = numbers[0] if numbers else None
        scale = numbers[1] if len(numbers) > 1 else (0 if numbers else None)
        if dialect == "mysql" and precision is None:
            precision, scale = 10, 0
        return TypeSignature(family, "numeric", precision=precision, scale=scale, unsigned=unsigned)
    if family == "float":
        return TypeSignature(family, "float", size=_float_size(dialect, name, size, numbers))
    if family in ("string", "char"):
        length = numbers[0] if numbers else (1 if family == "char" else None)
        return TypeSignature("string", "varchar", length=length, fixed=family == "char")
    if family in ("text", "binary"):
        length = numbers[0] if numbers and name in ("binary", "varbinary", "bit") else None
        if dialect == "mysql" and numbers and name in ("text", "blob"):
            # TEXT(n) / BLOB(n): MySQL picks the smallest of TINY/-/MEDIUM/LONG that holds n.
            return TypeSignature(family, family, size=None, length=numbers[0])
        return TypeSignature(family, family, size=size, length=length, fixed=name == "binary")
    if family in ("time", "datetime"):
        # No precision means microseconds on PostgreSQL and whole seconds on MySQL.
        default_precision = {"postgresql": 6, "mysql": 0}.get(dialect)
        precision = numbers[0] if numbers else default_precision
        variant = "timestamp" if dialect == "mysql" and name == "timestamp" else family
        return TypeSignature(family, variant, precision=precision, timezone=timezone)
    if family == "bit":
        return TypeSignature(family, "bit", length=numbers[0] if numbers else None)
    if family in ("boolean", "year", "uuid", "json", "jsonb", "interval", "money"):
        # Arguments such as YEAR(4) or INTERVAL field lists do not change the stored values.
        return TypeSignature(family, family)
    return TypeSignature(family, name, length=numbers[0] if numbers else None)


def _integer_name(size: int | None) -> str:
    return {1: "tinyint", 2: "smallint", 3: "mediumint", 4: "integer", 8: "bigint"}.get(
        size or 4, "integer"
    )


def _float_size(dialect: str, name: str, size: int | None, numbers: list[int]) -> int:
    if numbers:
        return 4 if numbers[0] <= 24 else 8
    if size is not None:
        if dialect == "mysql" and name == "real":
            return 8
        return size
    # Plain FLOAT is double precision on PostgreSQL and single precision on MySQL.
    return 4 if dialect == "mysql" else 8


def _sqlite_affinity(name: str, arguments: str | None) -> TypeSignature:
    """SQLite's rules for a declared type it does not know by name."""
    numbers = _integers(arguments)
    if "int" in name:
        return TypeSignature("integer", "integer", size=8)
    if "char" in name or "clob" in name or "text" in name:
        return TypeSignature("string", "varchar", length=numbers[0] if numbers else None)
    if name == "" or "blob" in name:
        return TypeSignature("binary", "binary")
    if "real" in name or "floa" in name or "doub" in name:
        return TypeSignature("float", "float", size=8)
    return TypeSignature("other", name)


def relate(dialect: str, model: TypeSignature, db: TypeSignature) -> TypeRelation:
    """How the database's type relates to the models' type."""
    if dialect == "sqlite":
        model, db = _sqlite_storage(model), _sqlite_storage(db)
    if model == db or _mysql_sized_blob_fits(dialect, model, db):
        return TypeRelation.EQUAL
    if model.family == "array" and db.family == "array":
        assert model.item is not None and db.item is not None
        return relate(dialect, model.item, db.item)
    if model.family in _STRING_FAMILIES and db.family in _STRING_FAMILIES:
        return _relate_strings(model, db)
    if model.family != db.family:
        return _relate_families(dialect, model, db)
    return _relate_same_family(model, db)


_SIZE_CLASSES = (255, 65535, 16777215, 4294967295)


def _mysql_sized_blob_fits(dialect: str, model: TypeSignature, db: TypeSignature) -> bool:
    """TEXT(n) / BLOB(n) in the model against the size class MySQL chose for it."""
    if dialect != "mysql" or model.family not in ("text", "binary") or db.family != model.family:
        return False
    if model.size is not None or model.length is None or db.size is None:
        return False
    # A character takes 1 to 4 bytes depending on the charset, so allow that range of classes.
    bytes_per_value = 4 if model.family == "text" else 1
    smallest = next(i for i, c in enumerate(_SIZE_CLASSES, 1) if c >= model.length)
    largest = next(
        (i for i, c in enumerate(_SIZE_CLASSES, 1) if c >= model.length * bytes_per_value), 4
    )
    return smallest <= db.size <= largest


def _sqlite_storage(signature: TypeSignature) -> TypeSignature:
    # SQLite stores every integer in up to 8 bytes and every float in 8: sizes are not drift.
    if signature.family in ("integer", "float"):
        return TypeSignature(signature.family, signature.family, size=8)
    return signature


def _relate_families(dialect: str, model: TypeSignature, db: TypeSignature) -> TypeRelation:
    families = {model.family, db.family}
    if dialect == "postgresql" and "boolean" in families:
        # PostgreSQL casts no boolean to or from a number in an INSERT: writes fail.
        return TypeRelation.INCOMPATIBLE
    if families <= _NUMERIC_FAMILIES:
        return TypeRelation.COMPATIBLE
    if families in ({"json", "jsonb"}, {"binary", "uuid"} if dialect != "postgresql" else set()):
        return TypeRelation.COMPATIBLE
    if families in ({"enum", "string"}, {"enum", "text"}, {"citext", "text"}):
        return TypeRelation.COMPATIBLE
    # MySQL's SET and YEAR take strings and small integers: a different check, same values.
    if families in ({"set", "string"}, {"set", "text"}, {"year", "integer"}):
        return TypeRelation.COMPATIBLE
    # MariaDB's JSON is LONGTEXT: without its json_valid CHECK the column still holds the text.
    if dialect == "mysql" and families == {"json", "text"}:
        return TypeRelation.COMPATIBLE
    if families == {"citext", "string"}:
        return TypeRelation.COMPATIBLE
    # SQLAlchemy stores these as text on SQLite; any text column reads back the same.
    stored_as_text = families & {"date", "datetime", "time", "json", "uuid"}
    if (
        dialect == "sqlite"
        and stored_as_text
        and (families & _STRING_FAMILIES or len(families & {"date", "datetime", "time"}) == 2)
    ):
        return TypeRelation.COMPATIBLE
    return TypeRelation.INCOMPATIBLE


def is_harmless(dialect: str, model: TypeSignature, db: TypeSignature) -> bool:
    """True for a compatible pair that reads and writes the application's values unchanged."""
    families = {model.family, db.family}
    if families == {"json", "jsonb"}:
        return True
    if dialect == "sqlite" and model.family != db.family:
        # SQLite keeps dates, times, JSON and UUIDs as text: the declared name is only a label.
        return True
    if dialect == "mysql" and model.family == db.family and _mysql_alike(model, db):
        return True
    same_but_sign = (
        model.family == db.family
        and model.unsigned != db.unsigned
        and (model.size, model.precision, model.scale) == (db.size, db.precision, db.scale)
    )
    return same_but_sign


def _mysql_alike(model: TypeSignature, db: TypeSignature) -> bool:
    """MySQL pairs that read and write the same values: DATETIME / TIMESTAMP, CHAR / VARCHAR."""
    if model.family == "datetime":
        return model.precision == db.precision
    # MySQL strips CHAR's padding when reading, so CHAR(n) reads back what VARCHAR(n) would.
    return model.family == "string" and model.length == db.length and model.fixed != db.fixed


def _relate_strings(model: TypeSignature, db: TypeSignature) -> TypeRelation:
    model_capacity = _string_capacity(model)
    db_capacity = _string_capacity(db)
    if model_capacity == db_capacity:
        return TypeRelation.COMPATIBLE if model.fixed != db.fixed else TypeRelation.EQUAL
    return TypeRelation.NARROWER if db_capacity < model_capacity else TypeRelation.WIDER


def _string_capacity(signature: TypeSignature) -> float:
    if signature.family == "text":
        # MySQL's TINYTEXT / TEXT / MEDIUMTEXT / LONGTEXT grow by size; elsewhere text is unbounded.
        return {1: 255, 2: 65535, 3: 16777215}.get(signature.size or 4, float("inf"))
    return float("inf") if signature.length is None else float(signature.length)


def _relate_same_family(model: TypeSignature, db: TypeSignature) -> TypeRelation:
    if model.family in ("decimal",):
        return _relate_decimal(model, db)
    sized = model.family in ("integer", "float") and model.unsigned == db.unsigned
    if sized and model.size is not None and db.size is not None and model.size != db.size:
        return TypeRelation.WIDER if db.size > model.size else TypeRelation.NARROWER
    if model.timezone != db.timezone or model.name != db.name or model.unsigned != db.unsigned:
        return TypeRelation.COMPATIBLE
    for attribute in ("size", "length", "precision"):
        model_value = getattr(model, attribute)
        db_value = getattr(db, attribute)
        if model_value == db_value:
            continue
        if model_value is None or (db_value is not None and db_value > model_value):
            return TypeRelation.WIDER
        return TypeRelation.NARROWER
    return TypeRelation.COMPATIBLE


def _relate_decimal(model: TypeSignature, db: TypeSignature) -> TypeRelation:
    if model.precision is None or db.precision is None:
        return TypeRelation.WIDER if db.precision is None else TypeRelation.NARROWER
    model_scale = model.scale or 0
    db_scale = db.scale or 0
    model_integer_digits = model.precision - model_scale
    db_integer_digits = db.precision - db_scale
    if db_integer_digits >= model_integer_digits and db_scale >= model_scale:
        return TypeRelation.WIDER
    if db_integer_digits <= model_integer_digits and db_scale <= model_scale:
        return TypeRelation.NARROWER
    return TypeRelation.COMPATIBLE
