"""learners keep their standing (active, ejected, exited, deactivated) so that an institution's
"enrolled" count means the same as identity's and mentorship's; a status event that comes before the
enrollment is kept on a row whose institution, name and enrollment time the enrollment fills in

Revision ID: training_0004
Revises: training_0003
"""
import sqlalchemy as sa
from alembic import op

revision = 'training_0004'
down_revision = 'training_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('learners', sa.Column('status', sa.Text(), server_default='active', nullable=False))
    op.add_column('learners', sa.Column('status_at', sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f('ck_learners_status'), 'learners',
                               "status IN ('active', 'ejected', 'exited', 'deactivated')")
    for column in ('institution_id', 'name', 'enrolled_at'):
        op.alter_column('learners', column, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM learners WHERE enrolled_at IS NULL")
    for column in ('institution_id', 'name', 'enrolled_at'):
        op.alter_column('learners', column, nullable=False)
    op.drop_constraint(op.f('ck_learners_status'), 'learners', type_='check')
    op.drop_column('learners', 'status_at')
    op.drop_column('learners', 'status')
