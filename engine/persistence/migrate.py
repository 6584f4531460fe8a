"""Schema migrations with Alembic, run from code (the CLI and tests call ``upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.audit_chain import AuditKeyring
from engine.persistence.database import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head", audit_keyring: AuditKeyring | None = None) -> None:
    """Bring the schema to ``revision`` (default: the newest); ``audit_keyring`` chains existing audit events."""
    config = alembic_config(database)
    with database.transaction() as connection:
        config.attributes["connection"] = connection
        config.attributes["audit_keyring"] = audit_keyring
        command.upgrade(config, revision)


def is_current(database: Database) -> bool:
    """True when the database is at the newest migration (used by health checks)."""
    head = ScriptDirectory.from_config(alembic_config(database)).get_current_head()
    with database.connect(write=False) as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == head
