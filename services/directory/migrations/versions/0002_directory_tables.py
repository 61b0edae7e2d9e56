"""directory tables: mentor profiles (with a trigger-kept search vector), mentorships, request outcomes,
the search version; extensions pg_trgm (typo-tolerant names), unaccent, fuzzystrmatch

Revision ID: directory_0002
Revises: directory_0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'directory_0002'
down_revision = 'directory_0001'
branch_labels = None
depends_on = None


# The weighted search document: name and specialties A, subspecialty and interests B, bio, career
# highlights and city C (services/directory/rules.py explains the ranking).
SEARCH_VECTOR_FUNCTION = """
CREATE FUNCTION mentor_profiles_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', unaccent(coalesce(NEW.display_name, '') || ' '
              || array_to_string(NEW.specialties, ' '))), 'A')
    || setweight(to_tsvector('english', unaccent(coalesce(NEW.subspecialty, '') || ' '
              || array_to_string(NEW.clinical_interests || NEW.research_interests || NEW.education_interests, ' '))), 'B')
    || setweight(to_tsvector('english', unaccent(coalesce(NEW.bio, '') || ' ' || coalesce(NEW.career_highlights, '')
              || ' ' || coalesce(NEW.city, ''))), 'C');
  RETURN NEW;
END
$$
"""
SEARCH_VECTOR_TRIGGER = """
CREATE TRIGGER mentor_profiles_search_vector
BEFORE INSERT OR UPDATE OF display_name, specialties, subspecialty, clinical_interests, research_interests,
  education_interests, bio, career_highlights, city
ON mentor_profiles FOR EACH ROW EXECUTE FUNCTION mentor_profiles_search_vector()
"""


def upgrade() -> None:
    for extension in ("pg_trgm", "unaccent", "fuzzystrmatch"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table('mentor_profiles',
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('institution_id', sa.UUID(), nullable=False),
    sa.Column('enrolled_name', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), server_default='active', nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trained', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('published', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('display_name', sa.Text(), nullable=True),
    sa.Column('pronouns', sa.Text(), nullable=True),
    sa.Column('academic_rank', sa.Text(), nullable=True),
    sa.Column('specialties', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('subspecialty', sa.Text(), nullable=True),
    sa.Column('clinical_interests', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('research_interests', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('education_interests', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('interest_tags', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('languages', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=True),
    sa.Column('career_highlights', sa.Text(), nullable=True),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('shared_background', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('scope', sa.Text(), nullable=True),
    sa.Column('accepting_new_mentees', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('hours_per_month', sa.Integer(), nullable=True),
    sa.Column('meeting_modes', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('time_windows', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('timezone', sa.Text(), nullable=True),
    sa.Column('active_mentees', sa.Integer(), server_default='0', nullable=False),
    sa.Column('open_slots', sa.Integer(), server_default='3', nullable=False),
    sa.Column('requests_considered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('response_rate', sa.Float(), nullable=True),
    sa.Column('median_response_hours', sa.Float(), nullable=True),
    sa.Column('responsiveness', sa.Float(), server_default='0.5', nullable=False),
    sa.Column('rank_boost', sa.Float(), server_default='0', nullable=False),
    sa.Column('facet_codes', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("NOT published OR (status = 'active' AND trained)", name=op.f('ck_mentor_profiles_published_needs_active_trained')),
    sa.CheckConstraint("scope IS NULL OR scope IN ('local', 'national')", name=op.f('ck_mentor_profiles_scope')),
    sa.CheckConstraint("status IN ('active', 'ejected', 'deactivated')", name=op.f('ck_mentor_profiles_status')),
    sa.CheckConstraint('active_mentees >= 0', name=op.f('ck_mentor_profiles_active_mentees')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mentor_profiles'))
    )
    op.create_index('ix_mentor_profiles_display_name_trgm', 'mentor_profiles', ['display_name'], unique=False, postgresql_using='gin', postgresql_ops={'display_name': 'gin_trgm_ops'}, postgresql_where=sa.text('published'))
    op.create_index('ix_mentor_profiles_facet_codes', 'mentor_profiles', ['facet_codes'], unique=False, postgresql_using='gin', postgresql_where=sa.text('published'))
    op.create_index('ix_mentor_profiles_local', 'mentor_profiles', ['institution_id'], unique=False, postgresql_where=sa.text("published AND scope = 'local'"))
    op.create_index(op.f('ix_mentor_profiles_institution_id'), 'mentor_profiles', ['institution_id'], unique=False)
    op.create_index('ix_mentor_profiles_search_vector', 'mentor_profiles', ['search_vector'], unique=False, postgresql_using='gin', postgresql_where=sa.text('published'))
    op.create_table('mentorships',
    sa.Column('mentorship_id', sa.UUID(), nullable=False),
    sa.Column('mentor_id', sa.UUID(), nullable=False),
    sa.Column('mentee_id', sa.UUID(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('mentorship_id', name=op.f('pk_mentorships'))
    )
    op.create_index(op.f('ix_mentorships_mentor_id'), 'mentorships', ['mentor_id'], unique=False)
    op.create_table('request_outcomes',
    sa.Column('request_id', sa.UUID(), nullable=False),
    sa.Column('mentor_id', sa.UUID(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IN ('accepted', 'declined', 'expired')", name=op.f('ck_request_outcomes_outcome')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_request_outcomes'))
    )
    op.create_index('ix_request_outcomes_mentor_created', 'request_outcomes', ['mentor_id', sa.literal_column('created_at DESC')], unique=False)
    op.create_table('search_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_state'))
    )
    op.create_table('facet_values',
    sa.Column('code', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('facet', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_facet_values')),
    sa.UniqueConstraint('facet', 'value', name='uq_facet_values_facet_value')
    )
    op.create_table('search_cache',
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('version', 'key', name=op.f('pk_search_cache')),
    prefixes=['UNLOGGED']
    )
    op.execute("INSERT INTO search_state (id, version) VALUES (1, 0)")
    op.execute(SEARCH_VECTOR_FUNCTION)
    op.execute(SEARCH_VECTOR_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS mentor_profiles_search_vector ON mentor_profiles")
    op.execute("DROP FUNCTION IF EXISTS mentor_profiles_search_vector()")
    op.drop_table('search_cache')
    op.drop_table('facet_values')
    op.drop_table('search_state')
    op.drop_index('ix_request_outcomes_mentor_created', table_name='request_outcomes')
    op.drop_table('request_outcomes')
    op.drop_index(op.f('ix_mentorships_mentor_id'), table_name='mentorships')
    op.drop_table('mentorships')
    op.drop_index('ix_mentor_profiles_search_vector', table_name='mentor_profiles', postgresql_using='gin', postgresql_where=sa.text('published'))
    op.drop_index(op.f('ix_mentor_profiles_institution_id'), table_name='mentor_profiles')
    op.drop_index('ix_mentor_profiles_local', table_name='mentor_profiles', postgresql_where=sa.text("published AND scope = 'local'"))
    op.drop_index('ix_mentor_profiles_facet_codes', table_name='mentor_profiles', postgresql_using='gin', postgresql_where=sa.text('published'))
    op.drop_index('ix_mentor_profiles_display_name_trgm', table_name='mentor_profiles', postgresql_using='gin', postgresql_ops={'display_name': 'gin_trgm_ops'}, postgresql_where=sa.text('published'))
    op.drop_table('mentor_profiles')
