"""Tables of the directory service (the outbox, inbox and job_schedule come from shared/)."""
from shared.db import declarative_base

Base = declarative_base()
