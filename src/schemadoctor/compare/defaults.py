"""Server defaults reduced to a canonical text, so that spelling differences are not drift.

Each database hands back a default in its own spelling: PostgreSQL adds casts (``'x'::text``),
MariaDB writes ``now()`` as ``current_timestamp()`` and ``true`` as ``1``, a NUMERIC(12,2)
column reports ``'0'`` as ``0.00``. The canonical form removes those differences only.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from schemadoctor.compare.types import TypeSignature

_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*)(?:\s*\.\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*))?"
    r"(?:\s+(?:varying|precision|without time zone|with time zone))*(?:\s*\([^)]*\))?(?:\[\])*",
    re.IGNORECASE,
)

_TIMESTAMP_NOW = {
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "localtimestamp",
    "localtimestamp()",
    "transaction_timestamp()",
    "getdate()",
    "sysdate()",
    "datetime('now')",
    "datetime('now', 'localtime')",
}
_SYNONYMS = {
    "curdate()": "current_date",
    "current_date()": "current_date",
    "curtime()": "current_time",
    "current_time()": "current_time",
    "localtime()": "current_time",
    "localtime": "current_time",
    "gen_random_uuid()": "uuid()",
    "uuid_generate_v4()": "uuid()",
}
_BOOLEAN = {
    "true": "true",
    "'t'": "true",
    "'true'": "true",
    "1": "true",
    "'1'": "true",
    "b'1'": "true",
    "false": "false",
    "'f'": "false",
    "'false'": "false",
    "0": "false",
    "'0'": "false",
    "b'0'": "false",
}


def _strip_parentheses(text: str) -> str:
    """Remove parentheses that wrap the whole expression, as SQLite and MySQL add."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += char == "("
            depth -= char == ")"
            if depth == 0 and index < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def _split_literal(text: str) -> tuple[str, str] | None:
    """A leading quoted literal and what follows it, or None when there is none."""
    if not text.startswith("'"):
        return None
    index = 1
    while index < len(text):
        if text[index] == "'":
            if text[index + 1 : index + 2] == "'":
                index += 2
                continue
            return text[: index + 1], text[index + 1 :]
        index += 1
    return None


def _canonical_number(text: str) -> str | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def quote_literal(value: str, dialect: str | None = None) -> str:
    """A string as an SQL literal the way ``dialect`` spells it (MySQL escapes backslashes)."""
    if dialect == "mysql":
        value = value.replace("\\", "\\\\")
    return "'" + value.replace("'", "''") + "'"


_MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_NEXTVAL_SCHEMA = re.compile(r"nextval\('(?:\"[^\"]+\"|[a-z_][a-z0-9_]*)\.", re.IGNORECASE)
_NOW_CALL = re.compile(
    r"\b(?:now|current_timestamp|localtimestamp)\s*\(\s*\d*\s*\)|\bcurrent_timestamp\b",
    re.IGNORECASE,
)


def _unescape_mysql(value: str) -> str:
    """The value of a MySQL string literal body, whose backslashes escape."""
    return re.sub(r"\\(.)", lambda m: _MYSQL_ESCAPES.get(m.group(1), m.group(1)), value)


def normalize_default(
    text: str | None, signature: TypeSignature | None = None, dialect: str | None = None
) -> str | None:
    """The canonical text of a server default; None when there is no default."""
    if text is None:
        return None
    text = _strip_parentheses(" ".join(text.strip().split()))
    if text.upper() == "NULL" or text == "":
        return None

    literal = _split_literal(text)
    if literal is not None:
        quoted, rest = literal
        rest = _CAST.sub("", rest).strip()
        if not rest:
            return _canonical_literal(quoted, signature, dialect)
    text = _CAST.sub("", text).strip()
    text = _strip_parentheses(text)
    literal = _split_literal(text)
    if literal is not None and not literal[1].strip():
        return _canonical_literal(literal[0], signature, dialect)
    text = _NEXTVAL_SCHEMA.sub("nextval('", text)

    lowered = text.lower()
    family = signature.family if signature else None
    if family == "boolean" and lowered in _BOOLEAN:
        return _BOOLEAN[lowered]
    if lowered in _TIMESTAMP_NOW or re.fullmatch(r"current_timestamp\(\d\)", lowered):
        return "current_timestamp"
    if lowered in _SYNONYMS:
        return _SYNONYMS[lowered]
    number = _canonical_number(text.lstrip("+"))
    if number is not None:
        return number
    # MySQL's "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" comes back as current_timestamp().
    return _NOW_CALL.sub("current_timestamp", lowered)


def _canonical_literal(quoted: str, signature: TypeSignature | None, dialect: str | None) -> str:
    value = quoted[1:-1].replace("''", "'")
    if dialect == "mysql":
        value = _unescape_mysql(value)
    family = signature.family if signature else None
    if family == "boolean" and quoted.lower() in _BOOLEAN:
        return _BOOLEAN[quoted.lower()]
    if family in ("integer", "decimal", "float", "money"):
        number = _canonical_number(value.strip())
        if number is not None:
            return number
    return quote_literal(value)
