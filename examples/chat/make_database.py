"""Build the chat application's database as it stood before ``workflow_config`` was added.

Usage: python examples/chat/make_database.py URL   (for example sqlite:///chat.db)

It creates every table from the models, then drops ``conversations.workflow_config``: the
state of a database whose migration adding the column never ran. Point it only at a scratch
database: it drops and recreates the users, conversations and messages tables.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine, text

from schemadoctor.connect import parse_url

MODELS_FILE = Path(__file__).resolve().parent / "models.py"


def load_chat_models() -> ModuleType:
    """The example's models module, under a name of its own (another "models" may be loaded)."""
    name = "schemadoctor_example_chat_models"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MODELS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: SQLAlchemy resolves the Mapped[...] annotations through it.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(url: str) -> None:
    """Build the chat database at ``url``; its three tables are dropped first, if present."""
    metadata = load_chat_models().Base.metadata
    # parse_url picks the installed sync driver (psycopg2 or psycopg, pymysql) for plain URLs.
    engine = create_engine(parse_url(url))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE conversations DROP COLUMN workflow_config"))
        connection.execute(text("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')"))
        connection.execute(
            text("INSERT INTO conversations (id, user_id, title) VALUES (1, 1, 'Hello')")
        )
    engine.dispose()
    print(f"Built the chat database without conversations.workflow_config at {url}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///chat.db")
