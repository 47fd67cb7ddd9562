"""add workflow_config column to conversations

Revision ID: ef29b1af6dfe
Revises: 8a4e6f2d1b33
Create Date: 2026-10-20 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ef29b1af6dfe"
down_revision = "8a4e6f2d1b33"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("workflow_config", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("conversations", "workflow_config")
