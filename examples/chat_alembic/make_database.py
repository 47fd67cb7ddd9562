"""Build the chat database with Alembic, one revision behind: without workflow_config.

Usage: python examples/chat_alembic/make_database.py URL   (for example sqlite:///chat.db)

It runs `alembic upgrade 8a4e6f2d1b33` — every revision but the last, which adds
``conversations.workflow_config`` — and adds a user and a conversation. `alembic upgrade head`
(with `-x url=URL`) then brings the database level with the models.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ONE_BEHIND = "8a4e6f2d1b33"


def main(url: str) -> None:
    config = Config(str(HERE / "alembic.ini"))
    config.cmd_opts = type("Options", (), {"x": [f"url={url}"]})()
    command.upgrade(config, ONE_BEHIND)

    drivers = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql"}
    parsed = make_url(url)
    engine = create_engine(parsed.set(drivername=drivers.get(parsed.drivername, parsed.drivername)))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')"))
        connection.execute(
            text("INSERT INTO conversations (id, user_id, title) VALUES (1, 1, 'Hello')")
        )
    engine.dispose()
    print(f"Built the chat database at revision {ONE_BEHIND}, one behind head, at {url}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///chat_alembic.db")
