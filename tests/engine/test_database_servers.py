"""The database plumbing of tests/conftest.py: each test gets a fresh, working database."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa


def _table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("note", sa.Text),
    )


def test_create_insert_select(database_url: str, database_backend: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        assert engine.dialect.name == ("sqlite" if database_backend == "sqlite" else "postgresql")
        assert sa.inspect(engine).get_table_names() == []  # fresh and empty
        metadata = sa.MetaData()
        probe = _table(metadata)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(probe.insert(), [{"name": "alpha", "note": "梧桐"}, {"name": "beta", "note": None}])
        with engine.connect() as conn:
            rows = conn.execute(sa.select(probe.c.name, probe.c.note).order_by(probe.c.id)).all()
        assert [tuple(r) for r in rows] == [("alpha", "梧桐"), ("beta", None)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_a_fresh_database(database_url: str, round_: int) -> None:
    # Both rounds create the same table: the second would fail if databases were shared.
    engine = sa.create_engine(database_url)
    try:
        metadata = sa.MetaData()
        _table(metadata)
        assert sa.inspect(engine).get_table_names() == []
        metadata.create_all(engine)
        assert sa.inspect(engine).get_table_names() == ["probe"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_server_is_postgresql(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
            encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
            leftovers = (
                conn.execute(sa.text(r"SELECT datname FROM pg_database WHERE datname LIKE 't\_%'")).scalars().all()
            )
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL "), version
    assert encoding == "UTF8"
    if not os.environ.get("WUTONG_TEST_POSTGRES_URL"):
        # on our own server, the per-test databases of earlier tests have been dropped
        assert leftovers == []
