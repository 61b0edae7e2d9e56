"""names found despite one typo: the words of every search name and their one-deletion variants
(SymSpell-style), kept by a trigger on search_names and backfilled here

Revision ID: directory_0005
Revises: directory_0004
"""
from alembic import op
import sqlalchemy as sa

revision = 'directory_0005'
down_revision = 'directory_0004'
branch_labels = None
depends_on = None

# A name's words as search compares them: apostrophes dropped (O'Brien -> obrien), unaccented, lower-cased,
# split at anything but a letter or digit. The query's words go through the same function (search.py).
NAME_WORDS = """
CREATE FUNCTION search_name_words_of(name text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
  SELECT DISTINCT w FROM regexp_split_to_table(lower(unaccent(translate(name, '''’ʼ', ''))), '[^[:alnum:]]+') w
  WHERE w <> ''
$$;
"""
# A word itself (pos 0) and, when it has at least `min_length` characters, each variant with one character
# deleted (pos: the 1-based position deleted). Two words within one edit (substitution, insertion, deletion
# or transposition of adjacent letters) always share a variant; search.py verifies which edit it was.
DELETIONS = """
CREATE FUNCTION search_name_deletions(word text, min_length int) RETURNS TABLE (variant text, pos int)
LANGUAGE sql IMMUTABLE AS $$
  SELECT word, 0
  UNION ALL
  SELECT overlay(word placing '' from i for 1), i FROM generate_series(1, length(word)) i
  WHERE length(word) >= min_length
$$;
"""
# Every new search name adds its words and their variants (typo tolerance for words of 4 characters or
# more); those of a word already known are there: each is one primary-key probe (a NOT EXISTS on the
# words instead was planned as a sequential scan while the tables grew within one bulk load). Rows go in
# word order, so that two transactions adding overlapping words wait for each other rather than
# deadlock. Like search_names, these only grow.
NAME_WORDS_TRIGGER = """
CREATE FUNCTION search_names_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_name_variants (variant, word, pos)
  SELECT d.variant, w, d.pos FROM search_name_words_of(NEW.name) w, search_name_deletions(w, 4) d
  ORDER BY w, d.pos
  ON CONFLICT DO NOTHING;
  INSERT INTO search_name_words (word, name) SELECT w, NEW.name FROM search_name_words_of(NEW.name) w ORDER BY w
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER search_names_words AFTER INSERT ON search_names
FOR EACH ROW EXECUTE FUNCTION search_names_words();
"""


def upgrade() -> None:
    op.create_table('search_name_words',
    sa.Column('word', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('word', 'name', name=op.f('pk_search_name_words'))
    )
    op.create_table('search_name_variants',
    sa.Column('variant', sa.Text(), nullable=False),
    sa.Column('word', sa.Text(), nullable=False),
    sa.Column('pos', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('variant', 'word', 'pos', name=op.f('pk_search_name_variants'))
    )
    op.execute(NAME_WORDS)
    op.execute(DELETIONS)
    op.execute("INSERT INTO search_name_words (word, name) "
               "SELECT DISTINCT w, n.name FROM search_names n, search_name_words_of(n.name) w")
    op.execute("INSERT INTO search_name_variants (variant, word, pos) "
               "SELECT DISTINCT d.variant, w.word, d.pos FROM (SELECT DISTINCT word FROM search_name_words) w, "
               "search_name_deletions(w.word, 4) d")
    op.execute(NAME_WORDS_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER search_names_words ON search_names")
    op.execute("DROP FUNCTION search_names_words()")
    op.execute("DROP FUNCTION search_name_deletions(text, int)")
    op.execute("DROP FUNCTION search_name_words_of(text)")
    op.drop_table('search_name_variants')
    op.drop_table('search_name_words')
