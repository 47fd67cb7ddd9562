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
                self._files[klass] = inspect.getsourcefile(klass)
            except TypeError:
                self._files[klass] = None
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
        self.by_qualname: dict[str, ast.ClassDef] = {}
        self.by_name: dict[str, list[ast.ClassDef]] = {}
        self.table_calls: list[ast.Call] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                self.by_name.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Call) and _call_name(node) == "Table":
                self.table_calls.append(node)
        self._index_qualnames(tree, "")

    def _index_qualnames(self, node: ast.AST, prefix: str) -> None:
        # The same qualified names as Python gives classes, in inspect's search order.
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                qualname = prefix + child.name
                self.by_qualname.setdefault(qualname, child)
                self._index_qualnames(child, qualname + ".")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                self._index_qualnames(child, f"{prefix}{child.name}.<locals>.")
            else:
                self._index_qualnames(child, prefix)


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
