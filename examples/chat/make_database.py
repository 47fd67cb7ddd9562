"""Build the chat application's database as it stood before ``workflow_config`` was added.

Usage: python examples/chat/make_database.py URL   (for example sqlite:///chat.db)

It creates every table from the models, then drops ``conversations.workflow_config``: the
state of a database whose migration adding the column never ran.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from schemadoctor.connect import parse_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from models import Base


def main(url: str) -> None:
    # parse_url picks the installed sync driver (psycopg2 or psycopg, pymysql) for plain URLs.
    engine = create_engine(parse_url(url))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
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
