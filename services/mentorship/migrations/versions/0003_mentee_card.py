"""who is asking: a mentee's training stage and graduation year, and institutions' names

Revision ID: mentorship_0003
Revises: mentorship_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'mentorship_0003'
down_revision = 'mentorship_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('members', sa.Column('training_stage', sa.Text(), nullable=True))
    op.add_column('members', sa.Column('expected_graduation_year', sa.Integer(), nullable=True))
    op.add_column('members', sa.Column('studies_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('institutions',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions'))
    )


def downgrade() -> None:
    op.drop_table('institutions')
    op.drop_column('members', 'studies_at')
    op.drop_column('members', 'expected_graduation_year')
    op.drop_column('members', 'training_stage')
