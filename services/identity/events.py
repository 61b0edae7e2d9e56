"""Events identity consumes. (The events it publishes, and their data schemas, are in
shared/events/contracts.py; service.py records them.)"""
from __future__ import annotations

from sqlalchemy import orm

from services.identity import rules, service
from shared.events import Event, Handlers

handlers = Handlers()


@handlers.on("MentorUnresponsive")
def eject_unresponsive_mentor(session: orm.Session, event: Event) -> None:
    """R12: a mentor who leaves requests unanswered is ejected from the program (MentorEjected, once;
    a repeated or late MentorUnresponsive for an ejected mentor changes nothing)."""
    data = event.data
    reason = (f"unresponsive: {data['strikes']} requests expired unanswered "
              f"within {data['window_days']} days")
    facts = rules.unresponsive_facts(data["strikes"], data["window_days"], data.get("expiries") or [])
    service.eject_mentor(session, data["mentor_id"], reason, facts)
