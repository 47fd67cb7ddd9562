"""The repository's configuration: ``[tool.schemadoctor]`` in pyproject.toml or schemadoctor.toml.

The file is found from the current directory upward. Command-line options override it. Ignore
rules silence accepted drift: each names a finding kind, table and column globs, and a reason;
a rule with an ``until`` date stops applying after that date, and the report says so.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemadoctor.errors import ConfigurationError
from schemadoctor.findings import Finding, IgnoredFinding, Kind, Severity

CONFIG_FILE = "schemadoctor.toml"
PYPROJECT = "pyproject.toml"
KEYS = (
    "models",
    "url-env",
    "schemas",
    "include-tables",
    "exclude-tables",
    "fail-on",
    "alembic-config",
    "ignore",
)
RULE_KEYS = ("kind", "table", "column", "name", "reason", "until")


@dataclass(frozen=True)
class IgnoreRule:
    """Silence findings of ``kinds`` on tables and columns matching the globs, for ``reason``."""

    kinds: tuple[str, ...]
    reason: str
    table: str = "*"
    column: str | None = None
    name: str | None = None
    until: datetime.date | None = None

    def matches(self, finding: Finding) -> bool:
        """True when the finding is of one of the kinds and on the objects the globs name."""
        if not any(fnmatch.fnmatchcase(finding.kind.value, kind) for kind in self.kinds):
            return False
        qualified = f"{finding.schema}.{finding.table}" if finding.schema else finding.table
        if not any(fnmatch.fnmatchcase(name, self.table) for name in (finding.table, qualified)):
            return False
        if self.column is not None and not fnmatch.fnmatchcase(finding.column or "", self.column):
            return False
        return self.name is None or fnmatch.fnmatchcase(finding.name or "", self.name)

    def expired(self, today: datetime.date) -> bool:
        """True once ``until`` has passed: the rule applies up to and including that day."""
        return self.until is not None and today > self.until

    @property
    def label(self) -> str:
        """The rule as a user would point at it: kinds on table[.column]."""
        subject = self.table + (f".{self.column}" if self.column else "")
        subject += f" ({self.name})" if self.name else ""
        return f"{'/'.join(self.kinds)} on {subject}"


@dataclass(frozen=True)
class Config:
    """The settings of a configuration file; empty when the repository has none."""

    path: Path | None = None
    models: tuple[str, ...] = ()
    url_env: str | None = None
    schemas: tuple[str, ...] = ()
    include_tables: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()
    fail_on: Severity | None = None
    alembic_config: str | None = None
    ignore: tuple[IgnoreRule, ...] = field(default_factory=tuple)

    @property
    def root(self) -> Path:
        """The folder the file is in (the current directory without a file)."""
        return self.path.parent if self.path else Path.cwd()

    def resolve_url(self, option: str | None, environ: Mapping[str, str] | None = None) -> str:
        """--db, else the variable named by ``url-env``, else the usual variables."""
        from schemadoctor.connect import resolve_url

        environ = os.environ if environ is None else environ
        if option:
            return option
        if self.url_env and environ.get(self.url_env):
            return environ[self.url_env]
        try:
            return resolve_url(None, environ)
        except ConfigurationError:
            if not self.url_env:
                raise
            raise ConfigurationError(
                f"No database URL was given: ${self.url_env} (url-env in {self.path}) is not "
                "set; set it, pass --db URL, or check against a snapshot with --snapshot FILE."
            ) from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest schemadoctor.toml, or pyproject.toml with [tool.schemadoctor], upward.

    The search stops at the repository's root (the folder holding .git), so a file outside
    the repository never configures it.
    """
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and "schemadoctor" in _read(pyproject).get("tool", {}):
            return pyproject
        if (candidate / ".git").exists():
            break
    return None


def load_config(path: str | Path | None = None, start: Path | None = None) -> Config:
    """The configuration in ``path``, else the one found from ``start`` (default: cwd) up."""
    found = Path(path) if path else find_config(start)
    if found is None:
        return Config()
    if not found.is_file():
        raise ConfigurationError(f"The configuration file {str(found)!r} does not exist.")
    data = _read(found)
    if found.name == PYPROJECT or "tool" in data:
        data = data.get("tool", {}).get("schemadoctor", {})
    return parse_config(data, found.resolve())


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(
            f"The configuration file {str(path)!r} is not valid TOML: {error}."
        ) from error
    except OSError as error:
        raise ConfigurationError(
            f"Cannot read the configuration file {str(path)!r}: {error}."
        ) from error


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """A Config from the [tool.schemadoctor] table of ``path``; unknown keys are errors."""
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigurationError(
            f"{path} has unknown schemadoctor setting(s) {', '.join(unknown)}; "
            f"the known ones are {', '.join(KEYS)}."
        )
    fail_on = data.get("fail-on")
    if fail_on is not None and fail_on not in {s.value for s in Severity}:
        raise ConfigurationError(
            f"{path} sets fail-on = {fail_on!r}; use 'error', 'warning' or 'info'."
        )
    url_env = data.get("url-env")
    if url_env is not None and not isinstance(url_env, str):
        raise ConfigurationError(f"{path} sets url-env to a non-string; name a variable.")
    alembic_config = data.get("alembic-config")
    if alembic_config is not None and not isinstance(alembic_config, str):
        raise ConfigurationError(f"{path} sets alembic-config to a non-string; give a path.")
    rules = data.get("ignore", [])
    if not isinstance(rules, list):
        raise ConfigurationError(f"{path}: ignore must be an array of tables ([[...ignore]]).")
    return Config(
        path=path,
        models=tuple(_resolve_target(t, path.parent) for t in _strings(data, "models", path)),
        url_env=url_env,
        schemas=_strings(data, "schemas", path),
        include_tables=_strings(data, "include-tables", path),
        exclude_tables=_strings(data, "exclude-tables", path),
        fail_on=Severity(fail_on) if fail_on else None,
        alembic_config=str((path.parent / alembic_config).resolve()) if alembic_config else None,
        ignore=tuple(parse_rule(rule, path, number) for number, rule in enumerate(rules, 1)),
    )


def _strings(data: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigurationError(f"{path} sets {key} to {value!r}; give a string or a list of them.")


def _resolve_target(target: str, root: Path) -> str:
    # A file target is relative to the configuration's folder, so any subfolder can run check.
    spec, colon, attribute = target.partition(":")
    if spec.endswith(".py") or "/" in spec:
        return str((root / spec).resolve()) + colon + attribute
    return target


def parse_rule(data: Any, path: Path, number: int) -> IgnoreRule:
    """One ignore rule; a rule without a reason, or with an unknown kind, is an error."""
    where = f"{path}, ignore rule {number}"
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{where} is not a table; write it as [[tool.schemadoctor.ignore]]."
        )
    unknown = sorted(set(data) - set(RULE_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown key(s) {', '.join(unknown)}; use {', '.join(RULE_KEYS)}."
        )
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigurationError(f"{where} has no reason; say why this drift is accepted.")
    kinds = _rule_kinds(data.get("kind"), where)
    return IgnoreRule(
        kinds=kinds,
        reason=reason.strip(),
        table=_glob(data, "table", where) or "*",
        column=_glob(data, "column", where),
        name=_glob(data, "name", where),
        until=_until(data.get("until"), where),
    )


def _rule_kinds(value: Any, where: str) -> tuple[str, ...]:
    kinds = (value,) if isinstance(value, str) else value
    if not kinds or not isinstance(kinds, list | tuple):
        raise ConfigurationError(f"{where} names no kind; give one such as kind = 'extra_table'.")
    known = [kind.value for kind in Kind]
    for kind in kinds:
        if not isinstance(kind, str) or not any(fnmatch.fnmatchcase(k, kind) for k in known):
            raise ConfigurationError(
                f"{where} names the unknown kind {kind!r}; the kinds are {', '.join(known)}."
            )
    return tuple(kinds)


def _glob(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{where} sets {key} to {value!r}; give a glob string.")
    return value


def _until(value: Any, where: str) -> datetime.date | None:
    if value is None or (
        isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    ):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigurationError(f"{where} sets until to {value!r}; give a date such as 2027-01-31.")


@dataclass
class IgnoreOutcome:
    """The findings left after applying the rules, those silenced, and notes about the rules."""

    findings: list[Finding]
    ignored: list[IgnoredFinding]
    notes: list[str]


def apply_ignore_rules(
    findings: Sequence[Finding],
    rules: Sequence[IgnoreRule],
    today: datetime.date | None = None,
) -> IgnoreOutcome:
    """Silence the findings that a live rule matches; say which rules expired or matched nothing."""
    today = today or datetime.date.today()
    live = [rule for rule in rules if not rule.expired(today)]
    notes = [
        f"The ignore rule for {rule.label} expired on {rule.until}; its findings are reported "
        f"again (reason was: {rule.reason})."
        for rule in rules
        if rule.expired(today)
    ]

    kept: list[Finding] = []
    ignored: list[IgnoredFinding] = []
    used: set[int] = set()
    for finding in findings:
        rule = next((r for r in live if r.matches(finding)), None)
        if rule is None:
            kept.append(finding)
            continue
        used.add(id(rule))
        until = rule.until.isoformat() if rule.until else None
        ignored.append(IgnoredFinding(finding, rule.reason, until))

    notes.extend(
        f"The ignore rule for {rule.label} matched no finding; remove it if the drift is gone."
        for rule in live
        if id(rule) not in used
    )
    return IgnoreOutcome(kept, ignored, notes)
