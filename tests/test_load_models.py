"""Loading the models from --models targets: every target form, and every way it can fail."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from schemadoctor.errors import ModelsLoadError
from schemadoctor.load import load_models

BASE_2_0 = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100))
"""


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Undo what loading does to sys.path and sys.modules, so tests cannot see each other."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


@pytest.fixture
def write_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> Callable[[dict[str, str]], str]:
    """Write a package (file name -> source) under a unique name in tmp_path, which is the cwd."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> str:
        name = f"models_{uuid.uuid4().hex[:10]}"
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(files.pop("__init__.py", ""))
        for relative, source in files.items():
            path = package / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.parent != package and not (path.parent / "__init__.py").exists():
                (path.parent / "__init__.py").write_text("")
            path.write_text(textwrap.dedent(source))
        return name

    return write


def _table_names(targets: list[str]) -> list[str]:
    loaded = load_models(targets)
    return sorted(table.name for table in loaded.tables)


def test_module_and_attribute_naming_a_declarative_base(write_package):
    package = write_package({"models.py": BASE_2_0})

    assert _table_names([f"{package}.models:Base"]) == ["users"]


def test_attribute_naming_a_metadata(write_package):
    package = write_package(
        {
            "tables.py": """
            from sqlalchemy import Column, Integer, MetaData, Table
            metadata = MetaData()
            Table("accounts", metadata, Column("id", Integer, primary_key=True))
            """
        }
    )

    assert _table_names([f"{package}.tables:metadata"]) == ["accounts"]


def test_legacy_declarative_base(write_package):
    package = write_package(
        {
            "legacy.py": """
            from sqlalchemy import Column, Integer
            from sqlalchemy.orm import declarative_base
            Base = declarative_base()
            class Item(Base):
                __tablename__ = "items"
                id = Column(Integer, primary_key=True)
            """
        }
    )

    assert _table_names([f"{package}.legacy:Base"]) == ["items"]


def test_registry(write_package):
    package = write_package(
        {
            "mapped.py": """
            from sqlalchemy import Column, Integer
            from sqlalchemy.orm import registry
            mapper_registry = registry()
            @mapper_registry.mapped
            class Order:
                __tablename__ = "orders"
                id = Column(Integer, primary_key=True)
            """
        }
    )

    assert _table_names([f"{package}.mapped:mapper_registry"]) == ["orders"]


def test_zero_argument_callable_returning_metadata(write_package):
    package = write_package(
        {
            "factory.py": """
            from sqlalchemy import Column, Integer, MetaData, Table
            def build_metadata():
                metadata = MetaData()
                Table("built", metadata, Column("id", Integer, primary_key=True))
                return metadata
            """
        }
    )

    assert _table_names([f"{package}.factory:build_metadata"]) == ["built"]


def test_package_without_attribute_imports_every_submodule(write_package):
    package = write_package(
        {
            "base.py": """
            from sqlalchemy.orm import DeclarativeBase
            class Base(DeclarativeBase):
                pass
            """,
            "users.py": """
            from sqlalchemy.orm import Mapped, mapped_column
            from .base import Base
            class User(Base):
                __tablename__ = "users"
                id: Mapped[int] = mapped_column(primary_key=True)
            """,
            "billing/invoices.py": """
            from sqlalchemy.orm import Mapped, mapped_column
            from ..base import Base
            class Invoice(Base):
                __tablename__ = "invoices"
                id: Mapped[int] = mapped_column(primary_key=True)
            """,
        }
    )

    # Nothing in the package's __init__ imports the model modules: the loader must.
    assert _table_names([package]) == ["invoices", "users"]


def test_module_without_attribute_finds_its_one_base(write_package):
    package = write_package({"models.py": BASE_2_0})

    assert _table_names([f"{package}.models"]) == ["users"]


def test_file_path_with_and_without_attribute(tmp_path, write_package):
    package = write_package({"models.py": BASE_2_0})
    path = str(tmp_path / package / "models.py")

    assert _table_names([path]) == ["users"]
    assert _table_names([f"{path}:Base"]) == ["users"]
    assert _table_names([f"{package}/models.py"]) == ["users"]


def test_plain_file_outside_a_package_imports_its_siblings(tmp_path, isolated_imports):
    folder = tmp_path / f"app_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    module = f"shared_{uuid.uuid4().hex[:8]}"
    (folder / f"{module}.py").write_text(BASE_2_0)
    (folder / "entry.py").write_text(f"from {module} import Base\n")

    assert _table_names([f"{folder / 'entry.py'}:Base"]) == ["users"]


def test_current_directory_is_importable(tmp_path, write_package):
    package = write_package({"models.py": BASE_2_0})
    sys.path[:] = [entry for entry in sys.path if entry not in ("", str(tmp_path))]

    assert _table_names([f"{package}.models:Base"]) == ["users"]


def test_several_targets_merge_their_metadata(write_package):
    first = write_package({"models.py": BASE_2_0})
    second = write_package(
        {
            "core.py": """
            from sqlalchemy import Column, Integer, MetaData, Table
            metadata = MetaData()
            Table("audit", metadata, Column("id", Integer, primary_key=True))
            """
        }
    )

    loaded = load_models([f"{first}.models:Base", f"{second}.core:metadata", first + ".models"])

    assert len(loaded.metadata) == 2
    assert sorted(table.name for table in loaded.tables) == ["audit", "users"]


def test_what_the_models_print_goes_to_stderr(write_package, capfd):
    package = write_package(
        {
            "models.py": "import os\nprint('hello from the models')\n"
            "os.write(1, b'raw write to fd 1\\n')\n" + BASE_2_0
        }
    )

    load_models([f"{package}.models:Base"])

    captured = capfd.readouterr()
    assert captured.out == ""
    assert "hello from the models" in captured.err
    assert "raw write to fd 1" in captured.err


def test_json_report_stays_parseable_when_the_models_print(tmp_path, sqlite_url, run_cli):
    models = tmp_path / f"noisy_{uuid.uuid4().hex[:8]}.py"
    models.write_text("import os\nprint('configuring models...')\n" + BASE_2_0)

    in_process = run_cli("check", "--models", str(models), "--db", sqlite_url, "--format", "json")
    command = ["check", "--models", str(models), "--db", sqlite_url, "--format", "json"]
    child = subprocess.run(
        [sys.executable, "-m", "schemadoctor", *command],
        capture_output=True,
        text=True,
        check=False,
    )

    for stdout, stderr, code in (
        (in_process.stdout, in_process.stderr, in_process.exit_code),
        (child.stdout, child.stderr, child.returncode),
    ):
        assert code == 1, stderr
        report = json.loads(stdout)
        assert [f["kind"] for f in report["findings"]] == ["missing_table"]
        assert "configuring models..." in stderr


def _load_error(targets: list[str]) -> str:
    with pytest.raises(ModelsLoadError) as raised:
        load_models(targets)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_module_not_found(write_package):
    write_package({})

    message = _load_error(["no_such_models_pkg.models:Base"])

    assert "'no_such_models_pkg.models'" in message
    assert "no module named 'no_such_models_pkg'" in message


def test_module_whose_dependency_is_missing(write_package):
    package = write_package({"models.py": "import flask_not_installed_here\n" + BASE_2_0})

    message = _load_error([f"{package}.models:Base"])

    assert f"'{package}.models'" in message
    assert "ModuleNotFoundError" in message
    assert "flask_not_installed_here" in message


def test_module_that_raises_at_import(write_package):
    package = write_package(
        {"models.py": BASE_2_0 + "\nraise RuntimeError('settings.DATABASE is not configured')\n"}
    )

    message = _load_error([f"{package}.models"])

    assert f"'{package}.models'" in message
    assert "RuntimeError: settings.DATABASE is not configured" in message


def test_submodule_that_raises_is_named(write_package):
    package = write_package(
        {"models.py": BASE_2_0, "broken.py": "x = 1 / 0\n"},
    )

    message = _load_error([package])

    assert f"'{package}.broken'" in message
    assert "ZeroDivisionError" in message


def test_system_exit_at_import(write_package):
    package = write_package({"models.py": "import sys\nsys.exit(3)\n"})

    message = _load_error([f"{package}.models"])

    assert "sys.exit(3)" in message
    assert f"'{package}.models'" in message


def test_no_metadata(write_package):
    package = write_package({"helpers.py": "def greet():\n    return 'hi'\n"})

    message = _load_error([f"{package}.helpers"])

    assert "No MetaData or declarative base was found" in message


def test_attribute_that_is_not_a_metadata(write_package):
    package = write_package({"helpers.py": "VALUE = 42\n"})

    message = _load_error([f"{package}.helpers:VALUE"])

    assert "is a int, not a MetaData" in message


def test_missing_attribute(write_package):
    package = write_package({"models.py": BASE_2_0})

    message = _load_error([f"{package}.models:Bsae"])

    assert "has no attribute 'Bsae'" in message


def test_callable_that_raises(write_package):
    package = write_package({"models.py": "def make():\n    raise KeyError('DSN')\n"})

    message = _load_error([f"{package}.models:make"])

    assert "KeyError" in message and "'DSN'" in message


def test_several_metadata(write_package):
    package = write_package(
        {
            "models.py": """
            from sqlalchemy import MetaData
            from sqlalchemy.orm import DeclarativeBase
            class Base(DeclarativeBase):
                pass
            reporting = MetaData()
            """
        }
    )

    message = _load_error([f"{package}.models"])

    assert "several MetaData objects" in message
    assert f"{package}.models:Base" in message and f"{package}.models:reporting" in message


def test_empty_metadata(write_package):
    package = write_package(
        {"models.py": "from sqlalchemy import MetaData\nmetadata = MetaData()\n"}
    )

    message = _load_error([f"{package}.models:metadata"])

    assert "define no tables" in message


def test_file_that_does_not_exist(tmp_path, isolated_imports):
    message = _load_error([str(tmp_path / "nope" / "models.py")])

    assert "does not exist" in message


def test_two_files_with_the_same_name_each_load_their_own_models(tmp_path, isolated_imports):
    first = tmp_path / "one" / "models.py"
    second = tmp_path / "two" / "models.py"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(BASE_2_0)
    second.write_text(BASE_2_0.replace('"users"', '"customers"'))

    assert _table_names([str(first)]) == ["users"]
    assert _table_names([str(second)]) == ["customers"]


def test_no_targets():
    assert "No models were given" in _load_error([])


def test_loaded_metadata_is_the_models_own(write_package):
    package = write_package({"models.py": BASE_2_0})

    loaded = load_models([f"{package}.models:Base"])

    module = sys.modules[f"{package}.models"]
    assert loaded.metadata == [module.Base.metadata]
    assert isinstance(loaded.metadata[0], MetaData)
