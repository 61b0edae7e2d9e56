"""Events: CloudEvents envelope, registry and contracts, outbox, relay, consumer, topology."""
from shared.events.envelope import Event, InvalidMessage
from shared.events.handlers import Handlers, PermanentError
from shared.events.outbox import record_event, record_events

__all__ = ["Event", "Handlers", "InvalidMessage", "PermanentError", "record_event", "record_events"]
