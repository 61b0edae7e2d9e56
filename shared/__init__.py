"""The MentorMeMed platform library: one mechanism for every service.

Imports no service. Services get from here their app factory, database sessions, event outbox,
relay and consumer, job runner, auth verification, problem+json errors and test fixtures.
"""
