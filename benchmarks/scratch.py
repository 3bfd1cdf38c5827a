"""A throwaway database for a benchmark (never the registry's own, nor a test run's), and
what the benchmarks put in it: a synthetic study, a user to ask with."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from knox.models import AuthToken

from registry.access import membership_grant
from registry.management.commands.load_demo import DEMO_PERMISSIONS
from registry.models import Role, Site, Study


@contextmanager
def scratch_database(suffix: str = "benchmark", *, keep: bool = False) -> Iterator[None]:
    """DATABASE_URL's database with "_<suffix>" added (SQLite: in memory), dropped after
    unless `keep`: then a kept one is used again, so that a synthetic study already
    imported into it is not imported again (synthetic_study).

    Benchmarks that may run at the same time take different suffixes.
    """
    database = settings.DATABASES["default"]
    database["TEST"] = {**database.get("TEST", {}), "NAME": f"{database['NAME']}_{suffix}"}
    if connection.vendor == "sqlite":
        database["TEST"]["NAME"] = ""
    setup_test_environment()
    # Not serialised for tests' rollback emulation, which none of the benchmarks uses: a
    # kept database holding a large study would be read whole before every run.
    databases = setup_databases(verbosity=0, interactive=False, keepdb=keep, serialized_aliases=())
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        yield
    finally:
        teardown_databases(databases, verbosity=0, keepdb=keep)
        teardown_test_environment()


def synthetic_study(patients: int) -> Study:
    """A synthetic study of this many patients, BENCH<patients>, made by `manage.py
    generate_cohort` (which prints how long generating and importing took), or the one a
    kept database (scratch_database) already holds.

    On PostgreSQL the tables are then vacuumed and analysed, as autovacuum does within
    minutes of a large import: freshly bulk-loaded tables have no planner statistics, and
    plans made without them can be far slower (a filtered patient list, 10,000 patients:
    0.5 s instead of 0.05 s); nor a visibility map, without which counting patients from
    an index reads every row as well (100,000 patients: 35 ms instead of 20 ms). The
    benchmarks measure the registry as it runs, not in the minutes after an import.
    """
    code = f"BENCH{patients}"
    kept = Study.objects.filter(code=code).first()
    if kept is not None and kept.patients.count() == patients:
        print(f"study {code} kept from an earlier run: not imported again")
        return kept
    call_command("generate_cohort", patients=patients, code=code)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return Study.objects.get(code=code)


def coordinator(study: Study) -> User:
    """A coordinator of the study (the one made by an earlier run in a kept database): reads
    every patient, as an ordinary user, through the access rules (a superuser skips them)."""
    user, _created = User.objects.get_or_create(username=f"coordinator-{study.code}".lower())
    membership_grant(user=user, study=study, role=Role.COORDINATOR)
    return user


def coordinator_token(study: Study) -> str:
    """The API token of a new coordinator of the study."""
    _instance, token = AuthToken.objects.create(user=coordinator(study))
    return token


def clinician_token(site: Site) -> str:
    """The API token of a new clinician of the site, with the permissions the demo's
    clinician has: enters and changes the data of the site's patients."""
    user = User.objects.create_user(f"clinician-{site.study.code}-{site.code}".lower())
    user.user_permissions.set(Permission.objects.filter(DEMO_PERMISSIONS["clinician"]))
    membership_grant(user=user, study=site.study, role=Role.CLINICIAN, sites=[site])
    _instance, token = AuthToken.objects.create(user=user)
    return token
