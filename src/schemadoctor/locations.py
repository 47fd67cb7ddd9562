"""Find where the models define each table and column, for annotations at the model's line."""

from __future__ import annotations

import ast
import inspect
import logging
import os
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Table

from schemadoctor.load import LoadedModels
from schemadoctor.schema import Location

logger = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _parse(path: str) -> ast.Module | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None


class Locator(Protocol):
    """Finds the source line of a model table or column."""

    def table(self, table: Table) -> Location | None:
        """The location of the table's definition."""

    def column(self, table: Table, column: str) -> Location | None:
        """The location of the column's definition."""


# The paths of a Location that DeferredLocator has not looked up yet: a table's, and the one
# that every column of a table shares (the finding's column names which).
_DEFERRED = "\x00deferred"
_DEFERRED_COLUMN = "\x00deferred-column"


class DeferredLocator:
    """Hands out placeholder locations and looks up only those that are asked for later.

    A check of thousands of tables in sync shows no location at all, so it need not parse
    the models' source; ``resolve`` reads it on the first placeholder a finding carries. The
    columns of a table share one placeholder: a placeholder per column cost more than a tenth
    of describing 67,000 columns.
    """

    def __init__(self, models: LoadedModels) -> None:
        self._models = models
        self._tables: list[Table] = []
        self._column_placeholders: dict[int, Location] = {}
        self._resolved: dict[tuple[int, str | None], Location | None] = {}
        self._locator: SourceLocator | None = None

    def table(self, table: Table) -> Location | None:
        """A placeholder for the table's location."""
        self._tables.append(table)
        return Location(_DEFERRED, len(self._tables) - 1)

    def column(self, table: Table, column: str) -> Location | None:
        """The placeholder for the locations of the table's columns."""
        placeholder = self._column_placeholders.get(id(table))
        if placeholder is None:
            self._tables.append(table)
            placeholder = Location(_DEFERRED_COLUMN, len(self._tables) - 1)
            self._column_placeholders[id(table)] = placeholder
        return placeholder

    def resolve(self, location: Location | None, column: str | None = None) -> Location | None:
        """The real location behind a placeholder (a column's needs its name); any other
        location unchanged."""
        if location is None or location.path not in (_DEFERRED, _DEFERRED_COLUMN):
            return location
        if location.path == _DEFERRED:
            column = None
        key = (location.line, column)
        if key not in self._resolved:
            if self._locator is None:
                self._locator = SourceLocator(self._models)
            table = self._tables[location.line]
            self._resolved[key] = (
                self._locator.table(table)
                if column is None
                else self._locator.column(table, column)
            )
        return self._resolved[key]


class SourceLocator:
    """Maps tables to the mapped class (or ``Table(...)`` call) that defines them.

    Each source file is parsed and indexed once, so locating thousands of tables stays linear
    (``inspect.getsourcelines`` re-reads and walks the whole file for every class).
    """

    def __init__(self, models: LoadedModels) -> None:
        self._classes: dict[int, type] = {}
        self._modules = models.modules
        self._indexes: dict[str, _FileIndex | None] = {}
        self._files: dict[type, str | None] = {}
        self._attribute_keys: dict[type, dict[str, set[str]]] = {}
        self._calls: dict[str, list[tuple[str, ast.Call]]] | None = None
        self._registries: set[int] = set()
        for module in models.modules:
            for value in list(vars(module).values()):
                self._register(value)

    def _register(self, value: Any) -> None:
        from sqlalchemy.orm import registry

        found = None
        if isinstance(value, registry):
            found = value
        elif isinstance(value, type):
            found_registry = getattr(value, "registry", None)
            if isinstance(found_registry, registry):
                found = found_registry
        # Every mapped class of a module points at the same registry: read its mappers once.
        if found is None or id(found) in self._registries:
            return
        self._registries.add(id(found))
        for mapper in found.mappers:
            table = mapper.local_table
            if isinstance(table, Table):
                self._classes.setdefault(id(table), mapper.class_)

    def table(self, table: Table) -> Location | None:
        """The file and line of the class or ``Table(...)`` call that defines the table."""
        cls = self._classes.get(id(table))
        if cls is not None:
            path = self._file(cls)
            index = self._index(path) if path else None
            node = index.by_qualname.get(cls.__qualname__) if index else None
            if path is None or node is None:
                return None
            # As inspect.getsourcelines: a decorated class starts at its first decorator.
            line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            return Location(path, line)
        return self._core_table(table)

    def column(self, table: Table, column: str) -> Location | None:
        """The line that declares the column, or the table's line when it cannot be told."""
        cls = self._classes.get(id(table))
        if cls is not None:
            location = self._class_attribute(cls, column)
            if location is not None:
                return location
        return self._core_column(table, column) or self.table(table)

    def _file(self, klass: type) -> str | None:
        if klass not in self._files:
            try:
                path = inspect.getsourcefile(klass)
            except TypeError:
                path = None
            # A sys.path entry such as "migrations/../app" would otherwise show in every report.
            self._files[klass] = os.path.normpath(path) if path else None
        return self._files[klass]

    def _index(self, path: str) -> _FileIndex | None:
        if path not in self._indexes:
            tree = _parse(path)
            self._indexes[path] = _FileIndex(tree) if tree is not None else None
        return self._indexes[path]

    def _class_attribute(self, cls: type, column: str) -> Location | None:
        names = self._attribute_names(cls, column)
        for klass in cls.__mro__:
            path = self._file(klass)
            index = self._index(path) if path else None
            if index is None or path is None:
                continue
            for node in index.by_name.get(klass.__name__, ()):
                line = _attribute_line(node, names)
                if line is not None:
                    return Location(path, line)
        return None

    def _attribute_names(self, cls: type, column: str) -> set[str]:
        keys = self._attribute_keys.get(cls)
        if keys is None:
            keys = {}
            mapper = getattr(cls, "__mapper__", None)
            for prop in mapper.column_attrs if mapper is not None else ():
                for mapped in prop.columns:
                    name = getattr(mapped, "name", None)
                    if name is not None:
                        keys.setdefault(name, set()).add(prop.key)
            self._attribute_keys[cls] = keys
        return {column} | keys.get(column, set())

    def _core_table(self, table: Table) -> Location | None:
        for path, call in self._table_calls().get(table.name, ()):
            return Location(path, call.lineno)
        return None

    def _core_column(self, table: Table, column: str) -> Location | None:
        for path, call in self._table_calls().get(table.name, ()):
            for argument in call.args[1:]:
                if isinstance(argument, ast.Call) and _first_string(argument) == column:
                    return Location(path, argument.lineno)
        return None

    def _table_calls(self) -> dict[str, list[tuple[str, ast.Call]]]:
        """Every ``Table("name", ...)`` call in the models' modules, by table name."""
        if self._calls is None:
            self._calls = {}
            for module in self._modules:
                path = getattr(module, "__file__", None)
                path = os.path.normpath(path) if path else None
                index = self._index(path) if path else None
                if index is None or path is None:
                    continue
                for call in index.table_calls:
                    name = _first_string(call)
                    if name is not None:
                        self._calls.setdefault(name, []).append((path, call))
        return self._calls


class _FileIndex:
    """One parsed source file: its classes by qualified and plain name, its Table calls."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.by_qualname: dict[str, ast.ClassDef] = {}
        self.by_name: dict[str, list[ast.ClassDef]] = {}
        self._table_calls: list[ast.Call] | None = None
        self._index_classes(tree.body, "")

    def _index_classes(self, statements: list[ast.stmt], prefix: str) -> None:
        # Classes are statements: walking statement bodies finds them all without visiting
        # every expression, under the qualified names Python gives them.
        for statement in statements:
            if isinstance(statement, ast.ClassDef):
                qualname = prefix + statement.name
                self.by_qualname.setdefault(qualname, statement)
                self.by_name.setdefault(statement.name, []).append(statement)
                self._index_classes(statement.body, qualname + ".")
            elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._index_classes(statement.body, f"{prefix}{statement.name}.<locals>.")
            else:
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    nested = getattr(statement, name, None)
                    if isinstance(nested, list):
                        self._index_classes(_statements(nested), prefix)

    @property
    def table_calls(self) -> list[ast.Call]:
        """Every ``Table(...)`` call in the file (found on first use: it walks every node)."""
        if self._table_calls is None:
            self._table_calls = [
                node
                for node in ast.walk(self.tree)
                if isinstance(node, ast.Call) and _call_name(node) == "Table"
            ]
        return self._table_calls


def _statements(nodes: list[Any]) -> list[ast.stmt]:
    """The statements of a body, an except handler's body or a match case's body."""
    statements: list[ast.stmt] = []
    for node in nodes:
        if isinstance(node, ast.ExceptHandler | ast.match_case):
            statements.extend(node.body)
        elif isinstance(node, ast.stmt):
            statements.append(node)
    return statements


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _first_string(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _attribute_line(node: ast.ClassDef, names: set[str]) -> int | None:
    for statement in node.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        elif isinstance(statement, ast.Assign):
            targets = list(statement.targets)
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                return statement.lineno
    return None
