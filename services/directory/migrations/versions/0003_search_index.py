"""search from an in-memory index (services/directory/search_index.py): change stamps on profiles,
the table of display names for typo-tolerant matching; the SQL search indexes and the search_cache
table are no longer used

Revision ID: directory_0003
Revises: directory_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'directory_0003'
down_revision = 'directory_0002'
branch_labels = None
depends_on = None

# Every insert or update stamps the row with its transaction id, so that an index can read what
# changed since the oldest transaction still running at its last read (pg_snapshot_xmin).
CHANGE_STAMP = """
CREATE FUNCTION mentor_profiles_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$;
CREATE TRIGGER mentor_profiles_change_stamp BEFORE INSERT OR UPDATE ON mentor_profiles
FOR EACH ROW EXECUTE FUNCTION mentor_profiles_change_stamp();
"""
# Names of published profiles, for pg_trgm's word similarity over a few thousand names rather than
# every profile. Only grows: a name no profile has any more matches nothing in the index.
SEARCH_NAMES = """
CREATE FUNCTION mentor_profiles_search_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_names (name) VALUES (NEW.display_name) ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER mentor_profiles_search_name AFTER INSERT OR UPDATE OF display_name, published ON mentor_profiles
FOR EACH ROW WHEN (NEW.published AND NEW.display_name IS NOT NULL) EXECUTE FUNCTION mentor_profiles_search_name();
"""


def upgrade() -> None:
    op.add_column('mentor_profiles', sa.Column('change_xid', sa.BigInteger(), nullable=True))
    op.execute("UPDATE mentor_profiles SET change_xid = 0")
    op.create_index('ix_mentor_profiles_change_xid', 'mentor_profiles', ['change_xid'], unique=False)
    op.create_table('search_names',
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_search_names'))
    )
    # fastupdate off: names arrive rarely, and a GIN pending list is read linearly by every search
    op.create_index('ix_search_names_name_trgm', 'search_names', ['name'], unique=False, postgresql_using='gin',
                    postgresql_ops={'name': 'gin_trgm_ops'}, postgresql_with={'fastupdate': 'off'})
    op.execute("INSERT INTO search_names (name) SELECT DISTINCT display_name FROM mentor_profiles "
               "WHERE published AND display_name IS NOT NULL")
    op.execute(CHANGE_STAMP)
    op.execute(SEARCH_NAMES)
    op.drop_index('ix_mentor_profiles_search_vector', table_name='mentor_profiles', postgresql_using='gin',
                  postgresql_where=sa.text('published'))
    op.drop_index('ix_mentor_profiles_local', table_name='mentor_profiles',
                  postgresql_where=sa.text("published AND scope = 'local'"))
    op.drop_index('ix_mentor_profiles_facet_codes', table_name='mentor_profiles', postgresql_using='gin',
                  postgresql_where=sa.text('published'))
    op.drop_index('ix_mentor_profiles_display_name_trgm', table_name='mentor_profiles', postgresql_using='gin',
                  postgresql_ops={'display_name': 'gin_trgm_ops'}, postgresql_where=sa.text('published'))
    op.drop_table('search_cache')


def downgrade() -> None:
    op.create_table('search_cache',
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('version', 'key', name=op.f('pk_search_cache')),
    prefixes=['UNLOGGED']
    )
    op.create_index('ix_mentor_profiles_display_name_trgm', 'mentor_profiles', ['display_name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'display_name': 'gin_trgm_ops'},
                    postgresql_where=sa.text('published'))
    op.create_index('ix_mentor_profiles_facet_codes', 'mentor_profiles', ['facet_codes'], unique=False,
                    postgresql_using='gin', postgresql_where=sa.text('published'))
    op.create_index('ix_mentor_profiles_local', 'mentor_profiles', ['institution_id'], unique=False,
                    postgresql_where=sa.text("published AND scope = 'local'"))
    op.create_index('ix_mentor_profiles_search_vector', 'mentor_profiles', ['search_vector'], unique=False,
                    postgresql_using='gin', postgresql_where=sa.text('published'))
    op.execute("DROP TRIGGER mentor_profiles_search_name ON mentor_profiles")
    op.execute("DROP FUNCTION mentor_profiles_search_name()")
    op.execute("DROP TRIGGER mentor_profiles_change_stamp ON mentor_profiles")
    op.execute("DROP FUNCTION mentor_profiles_change_stamp()")
    op.drop_index('ix_search_names_name_trgm', table_name='search_names', postgresql_using='gin',
                  postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_table('search_names')
    op.drop_index('ix_mentor_profiles_change_xid', table_name='mentor_profiles')
    op.drop_column('mentor_profiles', 'change_xid')
