"""Reads that may lag a little go to a streaming replica, when one is configured.

Analytics and exports read whole cohorts; on a busy registry they belong on the replica
(`DATABASE_REPLICA_URL`) so data entry keeps the primary to itself. Code opts in, a block at
a time, and only for reads that tolerate replication lag:

    with use_replica():
        dataset = analysis_dataset(study)

`use_replica()` works as a decorator as well. Without a replica everything stays on
"default", so the same code runs on a single database, SQLite included.
"""

from contextlib import AbstractContextManager
from contextvars import ContextVar

from django.conf import settings

from registry.scoped import set_within

REPLICA = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def use_replica() -> AbstractContextManager[None]:
    """Send the reads inside this block to the replica, if there is one. Never writes."""
    return set_within(_reading_from_replica, True)


class ReplicaRouter:
    """Writes, migrations and reads by default on "default"; reads in use_replica() on the replica."""

    def db_for_read(self, model, **hints) -> str:
        if _reading_from_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        # The replica receives the schema by replication.
        return db == "default"
