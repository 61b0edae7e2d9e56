"""the search version announced: every transaction that moves it notifies channel `search_version`
with the new version when it commits, so that a search process knows it without asking
(services/directory/search_version.py)

Revision ID: directory_0006
Revises: directory_0005
"""
from alembic import op

revision = 'directory_0006'
down_revision = 'directory_0005'
branch_labels = None
depends_on = None

# NOTIFY is sent at commit (never for a transaction rolled back), to the listeners of this database only.
ANNOUNCE = """
CREATE FUNCTION search_state_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('search_version', NEW.version::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER search_state_announce AFTER UPDATE OF version ON search_state
FOR EACH ROW EXECUTE FUNCTION search_state_announce();
"""


def upgrade() -> None:
    op.execute(ANNOUNCE)


def downgrade() -> None:
    op.execute("DROP TRIGGER search_state_announce ON search_state")
    op.execute("DROP FUNCTION search_state_announce()")
