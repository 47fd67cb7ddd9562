"""The in-memory replay of migrations against the real thing: same schema, every dialect.

A project whose revisions use most of Alembic's operations is upgraded for real; the schema
replayed in memory from an empty one must then compare equal with the reflected database.
"""

from __future__ import annotations

import textwrap
from argparse import Namespace
from pathlib import Path

from alembic import command
from alembic.config import Config

from schemadoctor.api import as_database
from schemadoctor.compare import compare_schemas
from schemadoctor.migrations import load_scripts
from schemadoctor.reflect import default_schema_of, reflect_connection
from schemadoctor.replay import copy_shape, replay_revisions

ENV = """
from alembic import context
from sqlalchemy import create_engine, pool
from schemadoctor.connect import parse_url

url = context.get_x_argument(as_dictionary=True)["url"]
engine = create_engine(parse_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""

REVISIONS = {
    "a1": (
        None,
        """
        op.create_table(
            "authors",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("name", sa.String(80), nullable=False),
            sa.Column("born", sa.Date()),
        )
        op.create_table(
            "books",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("title", sa.String(120), nullable=False),
            sa.Column("author_id", sa.Integer()),
            sa.Column("isbn", sa.String(20)),
            sa.Column("notes", sa.Text()),
        )
        op.create_index("ix_books_title", "books", ["title"])
        op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))
        """,
    ),
    "a2": (
        "a1",
        """
        with op.batch_alter_table("books") as batch_op:
            batch_op.add_column(
                sa.Column("pages", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.alter_column("title", type_=sa.String(200), existing_type=sa.String(120),
                                  existing_nullable=False)
            batch_op.alter_column("isbn", new_column_name="isbn13", existing_type=sa.String(20))
            batch_op.drop_column("notes")
            batch_op.drop_index("ix_books_title")
            batch_op.create_index("ix_books_title_pages", ["title", "pages"])
            batch_op.create_foreign_key("fk_books_author", "authors", ["author_id"], ["id"],
                                        ondelete="SET NULL")
        # Alembic's SQLite batch drops a unique constraint on a column renamed in the same batch.
        with op.batch_alter_table("books") as batch_op:
            batch_op.create_unique_constraint("uq_books_isbn13", ["isbn13"])
        op.execute("UPDATE books SET pages = 1")
        op.drop_table("scratch")
        """,
    ),
    "a3": (
        "a2",
        """
        with op.batch_alter_table("authors") as batch_op:
            batch_op.alter_column("born", nullable=True, existing_type=sa.Date())
            batch_op.alter_column("name", server_default="anonymous", existing_type=sa.String(80),
                                  existing_nullable=False)
        op.rename_table("authors", "writers")
        op.create_index("ix_writers_name", "writers", ["name"], unique=True)
        """,
    ),
    "a4": (
        "a3",
        """
        # Plain operations, which SQLite cannot run outside batch mode.
        if op.get_bind().dialect.name != "sqlite":
            op.add_column("writers", sa.Column("email", sa.String(100)))
            op.alter_column("writers", "email", nullable=False, existing_type=sa.String(100))
            op.create_unique_constraint("uq_writers_email", "writers", ["email"])
            op.create_unique_constraint("uq_writers_born", "writers", ["born"])
            op.drop_constraint("uq_writers_born", "writers", type_="unique")
            op.drop_index("ix_writers_name", table_name="writers")
            op.alter_column("writers", "born", new_column_name="born_on", existing_type=sa.Date())
            op.alter_column("books", "pages", server_default=None, existing_type=sa.Integer())
            op.drop_constraint("fk_books_author", "books", type_="foreignkey")
            op.create_foreign_key("fk_books_writer", "books", "writers", ["author_id"], ["id"])
        """,
    ),
}


def _project(tmp_path: Path) -> Path:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV)
    for revision, (down, body) in REVISIONS.items():
        (versions / f"{revision}.py").write_text(
            f'"""revision {revision}"""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {revision!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"
        )
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n")
    return ini


def test_replayed_schema_equals_the_upgraded_database(db_url, tmp_path):
    ini = _project(tmp_path)
    config = Config(str(ini))
    config.cmd_opts = Namespace(x=[f"url={db_url}"])
    command.upgrade(config, "head")
    scripts = load_scripts(ini)
    database = as_database(db_url)

    with database.connect() as connection:
        default_schema = default_schema_of(connection)
        db_shape = reflect_connection(connection, [default_schema], default_schema)
        every = [scripts.describe(script) for script in scripts.revisions]
        replay = replay_revisions(
            scripts, every, copy_shape(db_shape, empty=True), connection.dialect, connection
        )

    assert replay.failure is None
    assert [r.revision for r in replay.replayed] == ["a1", "a2", "a3", "a4"]
    assert sorted(name for _, name in replay.shape.tables) == ["books", "writers"]
    assert [
        (f.kind.value, f.table, f.subject, f.expected, f.actual)
        for f in compare_schemas(replay.shape, db_shape)
    ] == []
    database.dispose()
