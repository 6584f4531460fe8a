"""audit chain: chain fields on audit events, chain heads, append-only triggers

Existing events are chained in id order (one chain per case, ``system`` for the rest) with the
key from ``WUTONG_AUDIT_KEY``/``WUTONG_AUDIT_KEY_FILE`` (or the keyring the caller passes in
``config.attributes["audit_keyring"]``); without a key the upgrade refuses when events exist.

Revision ID: 0004_audit_chain
Revises: 0003_versions
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.audit_chain import SYSTEM_CHAIN, AuditKeyring, compute_mac, content_of

revision = '0004_audit_chain'
down_revision = '0003_versions'
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
)
POSTGRES_TRIGGERS = (
    "CREATE FUNCTION wutong_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION wutong_audit_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION wutong_audit_append_only()",
)


def upgrade() -> None:
    op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=36), nullable=False),
    sa.Column('seq', _BIG, nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('seq', _BIG, nullable=True))
        batch_op.add_column(sa.Column('actor_roles', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('actor_departments', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('prev_mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('seq', existing_type=_BIG, nullable=False)
        batch_op.alter_column('key_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('mac', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain', 'seq'])
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_action', ['action'], unique=False)
        batch_op.create_index('ix_audit_events_actor', ['actor_user_id'], unique=False)
    bind = op.get_bind()
    for statement in SQLITE_TRIGGERS if bind.dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def _chain_existing_events() -> None:
    """Give every existing event its chain, seq, key id and MACs, oldest first per chain."""
    bind = op.get_bind()
    events = sa.table(
        'audit_events', *(sa.column(name) for name in (
            'id', 'chain', 'seq', 'at', 'actor_user_id', 'actor_name', 'actor_roles', 'actor_departments',
            'acting_for', 'action', 'instance_id', 'task_id', 'request_id', 'details', 'prev_mac', 'key_id', 'mac',
        ))
    )
    events.c.details.type = sa.JSON()
    events.c.at.type = _utc_type()
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    heads: dict[str, tuple[int, str | None]] = {}
    if rows:
        context_config = op.get_context().config
        passed = context_config.attributes.get("audit_keyring") if context_config is not None else None
        keyring = passed or AuditKeyring.from_env()
        if keyring is None:
            raise RuntimeError(
                "existing audit events must be chained: set WUTONG_AUDIT_KEY or WUTONG_AUDIT_KEY_FILE and upgrade again"
            )
        for row in rows:
            chain = row["instance_id"] or SYSTEM_CHAIN
            seq, prev_mac = heads.get(chain, (0, None))
            values = {**row, "chain": chain, "seq": seq + 1, "prev_mac": prev_mac, "key_id": keyring.current_id,
                      "request_id": row["request_id"] or f"legacy-{row['id']}"}
            values["mac"] = compute_mac(keyring.current, content_of(values))
            bind.execute(sa.update(events).where(events.c.id == row["id"]).values(
                chain=chain, seq=seq + 1, prev_mac=prev_mac, key_id=keyring.current_id,
                request_id=values["request_id"], mac=values["mac"],
            ))
            heads[chain] = (seq + 1, values["mac"])
    if heads:
        op.bulk_insert(
            sa.table('audit_chain_heads', sa.column('chain'), sa.column('seq'), sa.column('mac')),
            [{"chain": chain, "seq": seq, "mac": mac} for chain, (seq, mac) in heads.items()],
        )


def _utc_type() -> Any:
    from engine.persistence.tables import UtcDateTime

    return UtcDateTime()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS wutong_audit_append_only()")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_actor')
        batch_op.drop_index('ix_audit_events_action')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_constraint(batch_op.f('uq_audit_events_chain_seq'), type_='unique')
        for name in ('mac', 'key_id', 'prev_mac', 'request_id', 'actor_departments', 'actor_roles', 'seq', 'chain'):
            batch_op.drop_column(name)
    op.drop_table('audit_chain_heads')
