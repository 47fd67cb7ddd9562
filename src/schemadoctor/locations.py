"""Find where the models define each table and column, for annotations at the model's line."""

from __future__ import annotations

import ast
import inspect
import logging
from functools import lru_cache
from typing import Any

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


class SourceLocator:
    """Maps tables to the mapped class (or ``Table(...)`` call) that defines them."""

    def __init__(self, models: LoadedModels) -> None:
        self._classes: dict[int, type] = {}
        self._modules = models.modules
        for module in models.modules:
            for value in list(vars(module).values()):
                self._register(value)

    def _register(self, value: Any) -> None:
        from sqlalchemy.orm import registry

        registries = []
        if isinstance(value, registry):
            registries.append(value)
        elif isinstance(value, type):
            found_registry = getattr(value, "registry", None)
            if isinstance(found_registry, registry):
                registries.append(found_registry)
        for found in registries:
            for mapper in found.mappers:
                table = mapper.local_table
                if isinstance(table, Table):
                    self._classes.setdefault(id(table), mapper.class_)

    def table(self, table: Table) -> Location | None:
        """The file and line of the class or ``Table(...)`` call that defines the table."""
        cls = self._classes.get(id(table))
        if cls is not None:
            try:
                path = inspect.getsourcefile(cls)
                line = inspect.getsourcelines(cls)[1]
            except (OSError, TypeError):
                return None
            return Location(path, line) if path else None
        return self._core_table(table)

    def column(self, table: Table, column: str) -> Location | None:
        """The line that declares the column, or the table's line when it cannot be told."""
        cls = self._classes.get(id(table))
        if cls is not None:
            location = self._class_attribute(cls, table, column)
            if location is not None:
                return location
        return self._core_column(table, column) or self.table(table)

    def _class_attribute(self, cls: type, table: Table, column: str) -> Location | None:
        for klass in cls.__mro__:
            try:
                path = inspect.getsourcefile(klass)
            except TypeError:
                continue
            tree = _parse(path) if path else None
            if tree is None or path is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == klass.__name__:
                    line = _attribute_line(node, self._attribute_names(cls, table, column))
                    if line is not None:
                        return Location(path, line)
        return None

    @staticmethod
    def _attribute_names(cls: type, table: Table, column: str) -> set[str]:
        names = {column}
        mapper = getattr(cls, "__mapper__", None)
        if mapper is not None:
            for prop in mapper.column_attrs:
                if any(getattr(c, "name", None) == column for c in prop.columns):
                    names.add(prop.key)
        return names

    def _core_table(self, table: Table) -> Location | None:
        for path, call in self._table_calls():
            if _first_string(call) == table.name:
                return Location(path, call.lineno)
        return None

    def _core_column(self, table: Table, column: str) -> Location | None:
        for path, call in self._table_calls():
            if _first_string(call) != table.name:
                continue
            for argument in call.args[1:]:
                if isinstance(argument, ast.Call) and _first_string(argument) == column:
                    return Location(path, argument.lineno)
        return None

    def _table_calls(self) -> list[tuple[str, ast.Call]]:
        calls = []
        for module in self._modules:
            path = getattr(module, "__file__", None)
            tree = _parse(path) if path else None
            if tree is None or path is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _call_name(node) == "Table":
                    calls.append((path, node))
        return calls


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
