"""Alembic environment for the chat example: online and offline runs, URL from -x url=."""

from __future__ import annotations

import os

from alembic import context
from models import Base
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

target_metadata = Base.metadata


def database_url() -> str:
    """-x url=..., else $CHAT_DATABASE_URL, else sqlalchemy.url; plain URLs get a sync driver."""
    text = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("CHAT_DATABASE_URL")
        or context.config.get_main_option("sqlalchemy.url")
    )
    url = make_url(text)
    drivers = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql"}
    if url.drivername in drivers:
        url = url.set(drivername=drivers[url.drivername])
    return url.render_as_string(hide_password=False)


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
