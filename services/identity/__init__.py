"""The identity service: Institutions, people, credentials, invitations, admission criteria, eligibility, agreements and tokens."""
