"""A throwaway database for a benchmark: never the registry's own, nor a test run's."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


@contextmanager
def scratch_database() -> Iterator[None]:
    """DATABASE_URL's database with "_benchmark" added (SQLite: in memory), dropped after."""
    database = settings.DATABASES["default"]
    database["TEST"] = {**database.get("TEST", {}), "NAME": f"{database['NAME']}_benchmark"}
    if connection.vendor == "sqlite":
        database["TEST"]["NAME"] = ""
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        yield
    finally:
        teardown_databases(databases, verbosity=0)
        teardown_test_environment()
