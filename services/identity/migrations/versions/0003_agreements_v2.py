"""agreements version 2: the terms the program states

Revision ID: identity_0003
Revises: identity_0002

Version 1 of the mentor and mentee agreements left out terms the program's description states (at most
three mentees, answering requests, evaluations, surveys, research use, staying on as a mentor, the
platform's reuse). Version 2 of each says them. The current version of an agreement is its highest, so
everyone who accepted version 1 is asked to accept version 2 at their next sign-in (R5) and cannot act
until they do. The downgrade removes the two versions and any acceptance of them.
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = 'identity_0003'
down_revision = 'identity_0002'
branch_labels = None
depends_on = None

MENTOR_ID = uuid.UUID("6d1b9a62-0000-4000-8000-000000000003")
MENTEE_ID = uuid.UUID("6d1b9a62-0000-4000-8000-000000000004")

MENTOR_AGREEMENT = """As a MentorMeMed mentor I agree to the following.

Training. I will complete the required training modules, and attest that I completed them, before any mentorship begins.

Mentees. I will mentor at most 3 mentees at a time. I will keep what my mentees tell me confidential, treat every mentee with respect, and tell the program when I can no longer take mentees.

Requests. I will answer each mentorship request, accepting or declining it, by its deadline: 14 days after it is sent. A request I leave unanswered by then expires. Repeated expired requests remove me from the program and from the mentor directory; the program may reinstate me when I ask.

Evaluations. My mentees evaluate me every 6 months of each mentorship and when it concludes. I see their evaluations only as totals of at least 3 evaluations, never one mentee's answers.

Research. Researchers may ask to use platform data. The program decides each request case by case, and an approved request receives only de-identified data.

Program feedback. The program may ask me to answer surveys about the program.

The platform. I will not copy or reproduce the MentorMeMed platform, or any part of it, without the program's written permission."""

MENTEE_AGREEMENT = """As a MentorMeMed mentee I agree to the following.

Eligibility. What I declared about my eligibility is true, and my institution approved it.

Training. I will complete the required training modules, and attest that I completed them, before any mentorship begins.

Mentors. I will respect my mentors' time and keep what my mentors share with me confidential. I may have more than one mentor; each mentor has at most 3 mentees at a time, and answers a request within 14 days or the request expires.

Evaluations. I will evaluate each of my mentors every 6 months of our mentorship and when it concludes.

Surveys. I will answer career-update surveys every 12 months, also after I leave my institution's program, and the program may ask me for feedback about the program.

Research. Researchers may ask to use platform data. The program decides each request case by case, and an approved request receives only de-identified data.

After I leave. When I finish my training and leave my institution, the program may invite me to stay on as a mentor.

The platform. I will not copy or reproduce the MentorMeMed platform, or any part of it, without the program's written permission."""


def upgrade() -> None:
    # R5: a new version of each starter agreement; the current version is the highest. On a fresh
    # installation that is version 2; where an operator has already published a later one, this comes after it.
    insert = sa.text("INSERT INTO agreements (id, role, version, title, body, published_at) "
                     "SELECT :id, :role, coalesce(max(version), 0) + 1, :title, :body, now() "
                     "FROM agreements WHERE role = :role")
    for id_, role, body in ((MENTOR_ID, "mentor", MENTOR_AGREEMENT), (MENTEE_ID, "mentee", MENTEE_AGREEMENT)):
        op.execute(insert.bindparams(id=id_, role=role, title=f"MentorMeMed {role} agreement", body=body))


def downgrade() -> None:
    # the two versions go, and with them every acceptance of them
    op.execute(sa.text("DELETE FROM agreement_acceptances a USING agreements g "
                       "WHERE g.id IN (:mentor, :mentee) AND a.role = g.role AND a.version = g.version")
               .bindparams(mentor=MENTOR_ID, mentee=MENTEE_ID))
    op.execute(sa.text("DELETE FROM agreements WHERE id IN (:mentor, :mentee)")
               .bindparams(mentor=MENTOR_ID, mentee=MENTEE_ID))
