"""Load the models' MetaData from an import path such as ``app.models:Base``."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import pkgutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.exc import NoReferencedTableError, SAWarning

from schemadoctor.errors import ModelsLoadError

logger = logging.getLogger(__name__)


@dataclass
class LoadedModels:
    """The MetaData objects the targets named, and the modules imported to find them."""

    metadata: list[MetaData]
    targets: list[str]
    modules: list[ModuleType] = field(default_factory=list)
    _order: tuple[tuple[int, ...], list[Any]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def tables(self) -> list[Any]:
        """Every Table of every MetaData, in a stable order (dependencies first when known)."""
        # Sorting thousands of tables by their dependencies takes a tenth of a second and a
        # check asks several times: the order is kept until a MetaData gains or loses a table.
        sizes = tuple(len(metadata.tables) for metadata in self.metadata)
        if self._order is None or self._order[0] != sizes:
            tables = [table for metadata in self.metadata for table in _ordered_tables(metadata)]
            self._order = (sizes, tables)
        return list(self._order[1])

    @property
    def declared_tables(self) -> list[Any]:
        """Every Table of every MetaData in the order declared, for work that needs no
        dependency order (describing and comparing them): sorting costs time at scale."""
        return [table for metadata in self.metadata for table in metadata.tables.values()]


def _ordered_tables(metadata: MetaData) -> list[Any]:
    # A foreign key to a table outside the models (hand-written models for part of a schema)
    # cannot be sorted on, and cycles only warn: fall back to the order of names.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        try:
            return list(metadata.sorted_tables)
        except NoReferencedTableError:
            return sorted(metadata.tables.values(), key=lambda t: (t.schema or "", t.name))


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send whatever the models print while importing to stderr: stdout is for reports.

    Both Python's sys.stdout and file descriptor 1 are redirected, so that output from C
    extensions or child processes started at import time cannot reach the report either.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(_fd_stdout_to_stderr())
        stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        yield


@contextlib.contextmanager
def _fd_stdout_to_stderr() -> Iterator[None]:
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        # No file descriptor 1 (a closed or replaced stdout): nothing below Python to redirect.
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _metadata_of(value: Any) -> MetaData | None:
    """The MetaData behind a MetaData, declarative base or registry; None otherwise."""
    if isinstance(value, MetaData):
        return value
    from sqlalchemy.orm import registry

    if isinstance(value, registry):
        return value.metadata
    if isinstance(value, type):
        metadata = getattr(value, "metadata", None)
        has_registry = isinstance(getattr(value, "registry", None), registry)
        if isinstance(metadata, MetaData) and has_registry:
            return metadata
    return None


def _import(module_name: str, target: str) -> ModuleType:
    try:
        with _quiet_stdout():
            return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (error.name == module_name or module_name.startswith(error.name + ".")):
            raise ModelsLoadError(
                f"Cannot import the models module {module_name!r} named by {target!r}: "
                f"no module named {error.name!r}; run from the project root or fix --models."
            ) from error
        raise ModelsLoadError(_import_failure(module_name, error)) from error
    except SystemExit as error:
        raise ModelsLoadError(
            f"Importing the models module {module_name!r} called sys.exit({error.code}); "
            "models must be importable without side effects."
        ) from error
    except Exception as error:
        raise ModelsLoadError(_import_failure(module_name, error)) from error


def _import_failure(module_name: str, error: BaseException) -> str:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return (
        f"Importing the models module {module_name!r} failed with {reason}; "
        "fix the error or point --models at another module."
    )


def _module_name_for_file(path: Path) -> tuple[str, Path]:
    """The dotted module name of a file and the folder to put on sys.path to import it."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def _import_target_module(spec: str, target: str) -> ModuleType:
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        path = Path(spec).resolve()
        if not path.is_file():
            raise ModelsLoadError(
                f"The models file {spec!r} does not exist; check the path given to --models."
            )
        module_name, folder = _module_name_for_file(path)
        _forget_shadowing_module(module_name, path)
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        return _import(module_name, target)
    return _import(spec, target)


def _forget_shadowing_module(module_name: str, path: Path) -> None:
    """Drop a module of the same name loaded from another file, so this file is imported.

    Two targets (or two checks in one process) may both be ``models.py`` in different folders.
    Limitation: sibling modules they import by plain name (``from base import Base``) are not
    reloaded — naming the models as ``package.module`` avoids the clash.
    """
    loaded = sys.modules.get(module_name)
    loaded_file = getattr(loaded, "__file__", None)
    if loaded_file and Path(loaded_file).resolve() != path:
        logger.debug("Replacing module %s from %s with %s", module_name, loaded_file, path)
        del sys.modules[module_name]


def _import_submodules(package: ModuleType, target: str) -> list[ModuleType]:
    """Import every submodule of a package, so that every model class registers."""
    modules = []
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        modules.append(_import(info.name, target))
    return modules


def _resolve_attribute(module: ModuleType, attribute: str, target: str) -> MetaData:
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ModelsLoadError(
                f"The models module {module.__name__!r} has no attribute {attribute!r}; "
                "check the part after ':' in --models."
            )
        value = getattr(value, part)
    metadata = _metadata_of(value)
    if metadata is None and callable(value) and not isinstance(value, type):
        try:
            with _quiet_stdout():
                value = value()
        except Exception as error:
            raise ModelsLoadError(
                f"Calling {target!r} to get the models failed with {type(error).__name__}: "
                f"{error}; it must take no arguments and return a MetaData or a base."
            ) from error
        metadata = _metadata_of(value)
    if metadata is None:
        raise ModelsLoadError(
            f"{target!r} is a {type(value).__name__}, not a MetaData, declarative base or "
            "registry; point --models at one of those."
        )
    return metadata


def _find_metadata(modules: list[ModuleType], target: str) -> MetaData:
    found: dict[int, tuple[str, MetaData]] = {}
    for module in modules:
        for name, value in vars(module).items():
            metadata = _metadata_of(value)
            if metadata is not None and id(metadata) not in found:
                found[id(metadata)] = (f"{module.__name__}:{name}", metadata)
    if not found:
        raise ModelsLoadError(
            f"No MetaData or declarative base was found in {target!r}; "
            "name one explicitly, as in --models 'package.module:Base'."
        )
    if len(found) > 1:
        names = ", ".join(sorted(name for name, _ in found.values()))
        raise ModelsLoadError(
            f"{target!r} holds several MetaData objects ({names}); "
            "choose one with --models 'module:attribute'."
        )
    return next(iter(found.values()))[1]


def load_target(target: str) -> tuple[MetaData, list[ModuleType]]:
    """Import one ``--models`` target and return its MetaData and the modules imported."""
    spec, _, attribute = target.partition(":")
    if not spec:
        raise ModelsLoadError(f"The models target {target!r} names no module; use 'module:attr'.")
    module = _import_target_module(spec, target)
    modules = [module]
    if hasattr(module, "__path__"):
        modules.extend(_import_submodules(module, target))
    if attribute:
        return _resolve_attribute(module, attribute, target), modules
    return _find_metadata(modules, target), modules


def load_models(targets: list[str] | tuple[str, ...]) -> LoadedModels:
    """Import every target; the current directory is importable, as in alembic's env.py."""
    if not targets:
        raise ModelsLoadError(
            "No models were given; pass --models 'package.module:Base' or configure them."
        )
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)

    metadata: list[MetaData] = []
    modules: list[ModuleType] = []
    for target in targets:
        found, imported = load_target(target)
        logger.info("Loaded %d tables from %s", len(found.tables), target)
        if all(found is not known for known in metadata):
            metadata.append(found)
        modules.extend(imported)

    if not any(m.tables for m in metadata):
        raise ModelsLoadError(
            f"The models in {', '.join(targets)} define no tables; make sure the model "
            "modules are imported (name the package that holds them) before the check."
        )
    return LoadedModels(metadata=metadata, targets=list(targets), modules=modules)
