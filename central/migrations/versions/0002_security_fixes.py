"""Security fixes: per-practice disabling, invitations per practice, self-granted roles pending,
refresh grace window, throttling per email and source, the practice's second-person rule (turning it off
waits for a second administrator) and checks, and the details a practice typed for a person it linked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_person_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('second_person_off_requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('second_person_off_requested_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_organisations_second_person_off_requested_by', 'users',
                                    ['second_person_off_requested_by_id'], ['id'])
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_role_grants_confirmed_by', 'users', ['confirmed_by_id'], ['id'])
    with op.batch_alter_table('activation_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_activation_tokens_organisation', 'organisations',
                                    ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_activation_tokens_organisation_id'), ['organisation_id'],
                              unique=False)
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('successor_sealed', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_refresh_tokens_used_at'), ['used_at'], unique=False)
    with op.batch_alter_table('manual_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_manual_entries_checked_by', 'users', ['checked_by_id'], ['id'])

    op.create_table('practice_suspensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(), nullable=False),
    sa.Column('disabled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['disabled_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'organisation_id')
    )
    with op.batch_alter_table('practice_suspensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_suspensions_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_practice_suspensions_user_id'), ['user_id'], unique=False)

    op.create_table('practice_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('work_phone', sa.String(length=40), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'organisation_id')
    )
    with op.batch_alter_table('practice_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_members_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_practice_members_user_id'), ['user_id'], unique=False)

    op.create_table('second_person_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['practice_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('second_person_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_person_checks_practice_id'), ['practice_id'],
                              unique=False)

    # Throttle state is short-lived: start again with the new keys (per email and source, per source).
    op.drop_table('sign_in_throttle')
    op.create_table('sign_in_throttle',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('sign_in_throttle')
    op.create_table('sign_in_throttle',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('email')
    )
    op.drop_table('second_person_checks')
    op.drop_table('practice_members')
    op.drop_table('practice_suspensions')
    with op.batch_alter_table('manual_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_manual_entries_checked_by', type_='foreignkey')
        batch_op.drop_column('checked_by_id')
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_used_at'))
        batch_op.drop_column('successor_sealed')
    with op.batch_alter_table('activation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_tokens_organisation_id'))
        batch_op.drop_constraint('fk_activation_tokens_organisation', type_='foreignkey')
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_constraint('fk_role_grants_confirmed_by', type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('pending')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_organisations_second_person_off_requested_by', type_='foreignkey')
        batch_op.drop_column('second_person_off_requested_at')
        batch_op.drop_column('second_person_off_requested_by_id')
        batch_op.drop_column('second_person_required')
