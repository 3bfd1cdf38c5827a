"""Fixtures for every test: a superuser, and the users whose study roles
(registry.access) every page and endpoint is tried with.

The home study is the factories' default (HCD19, sites BOREN and PUMC); the outsider's is
OTHER. Each of these users is staff with every registry model permission, so that only
their role decides what they see and change.
"""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from registry import models
from registry.access import membership_grant
from registry.models import Role, Site
from tests import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the tests' databases are rolled back, and an
    answer cached by one test must not be served in another."""
    cache.clear()
    yield
    cache.clear()


@contextmanager
def shared_transaction(django_db_blocker):
    """A transaction around several tests, for the data they share, made once by fixtures of
    the same scope that request it: each test's own transaction is a savepoint inside it,
    rolled back after the test, and this one is rolled back after the last, as Django's
    setUpTestData does.

    Only for tests that all run in a transaction: a `transaction=True` or `live_server` test
    would empty the tables under it, or not see its data."""
    with django_db_blocker.unblock():
        shared = transaction.atomic()
        shared.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        shared.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """A shared_transaction around a test module (a published cohort, a synthetic study)."""
    with shared_transaction(django_db_blocker):
        yield


@pytest.fixture(scope="class")
def class_transaction(django_db_setup, django_db_blocker):
    """A shared_transaction around a test class, whose module's other tests make their own."""
    with shared_transaction(django_db_blocker):
        yield


def read_again(name: str, model):
    """A test's fixture `name`: the object of that name among the module's `shared` ones,
    read again from the database, so that a test changing it in memory leaves the next test
    its saved state (the database itself is rolled back after each test)."""

    @pytest.fixture(name=name)
    def fixture(db, shared):
        return model.objects.get(pk=getattr(shared, name).pk)

    return fixture


@pytest.fixture
def anonymous_client() -> APIClient:
    """Asks the API signed in as nobody."""
    return APIClient()


@pytest.fixture
def clinician(db) -> User:
    """A user with no role yet: each test gives the one it needs."""
    return User.objects.create_user("clinician", password=PASSWORD)


@pytest.fixture
def patient(db) -> models.Patient:
    """P001 of the home study, at its first site, with no course yet."""
    return factories.PatientFactory(subject_id="P001")


@pytest.fixture
def infusion(db) -> models.Infusion:
    """The infusion of a patient of the home study, after its lymphodepletion."""
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    return factories.InfusionFactory(patient=patient)


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.org", PASSWORD)


def user_with_role(username: str, role: str, site: Site, *, at_site: bool = False) -> User:
    """A staff user with every registry permission and `role` in the site's study (at that
    site only when `at_site`)."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    sites = [site] if at_site else []
    membership_grant(user=user, study=site.study, role=role, sites=sites)
    return user


def new_owner() -> User:
    """Coordinates the home study."""
    return user_with_role("owner", Role.COORDINATOR, factories.SiteFactory())


def new_neighbour() -> User:
    """A clinician of the home study at its other site, PUMC."""
    site = factories.SiteFactory(code="PUMC", name="Peking Union Medical College Hospital")
    return user_with_role("neighbour", Role.CLINICIAN, site, at_site=True)


def new_outsider() -> User:
    """Coordinates another study, OTHER: nothing of the home study is theirs."""
    site = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="ELSEWHERE")
    return user_with_role("outsider", Role.COORDINATOR, site)


@pytest.fixture
def owner(db) -> User:
    return new_owner()


@pytest.fixture
def teammate(db) -> User:
    """Monitors the home study: reads everything in it, changes nothing."""
    return user_with_role("teammate", Role.MONITOR, factories.SiteFactory())


@pytest.fixture
def neighbour(db) -> User:
    return new_neighbour()


@pytest.fixture
def outsider(db) -> User:
    return new_outsider()


@pytest.fixture
def investigator(db) -> User:
    """A clinician of the home study at its first site, BOREN, who signs casebooks."""
    site = factories.SiteFactory()
    user = user_with_role("investigator", Role.CLINICIAN, site, at_site=True)
    membership_grant(
        user=user, study=site.study, role=Role.CLINICIAN, sites=[site], investigator=True
    )
    return user


CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TIMEOUT_MS = 20_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (tests/web, tests/security); each test opens its own
    context. Playwright's sync API runs once per thread: there must be one such fixture."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: on a machine busy with the rest of the suite a
    # save's answer, and the reloads it sets off, can take more than expect's 5 s default.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)

    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # database calls from a thread with a running loop unless told the caller is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    from tests.htmx import wait_until_answered

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", base_url=live_server.url
    )
    # Generous: the first request of a run loads the URL configuration, slow on a busy machine.
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    yield page
    wait_until_answered(page)
    context.close()
    wait_until_the_live_server_is_done()


def wait_until_the_live_server_is_done() -> None:
    """Wait until the live server has finished every request a closed browser context made.

    The server answers each connection in a thread of its own, named after
    `process_request_thread`, and on SQLite shares the test's database connection with it.
    A request still being answered, e.g. one a swap set off just before the context closed,
    holds that connection: the test's database could then not be emptied, and the next test
    would start on this one's rows. Closing the context closes its connections, so each such
    thread ends once its request is answered."""
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=BROWSER_TIMEOUT_MS / 1000)
