"""Fixtures of the analytics tests: a signed-in reader, someone signed out, the published
cohort (tests/data/hcd19-published-cohort.json, built to reproduce An et al., BMC Cancer
2022). The cache is emptied around every test (tests/conftest.py)."""

import copy
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Role, Study
from tests.factories import StudyFactory

PUBLISHED = json.loads((Path(__file__).parents[1] / "data/hcd19-published-cohort.json").read_text())


@pytest.fixture
def reader(db) -> User:
    """Monitors the published cohort's study (HCD19), which its imports fill."""
    reader = User.objects.create_user("reader", password="reader-password-1")
    membership_grant(user=reader, study=StudyFactory(code="HCD19"), role=Role.MONITOR)
    return reader


@pytest.fixture
def api(reader) -> APIClient:
    client = APIClient()
    client.force_authenticate(reader)
    return client


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def document() -> dict:
    """A copy of the published cohort's document, to change before importing."""
    return copy.deepcopy(PUBLISHED)


@pytest.fixture
def published(db) -> Study:
    return cohort_import(data=copy.deepcopy(PUBLISHED)).study


@pytest.fixture
def analytics(api):
    """GET an analytics endpoint of a study (HCD19 unless `code` is given)."""

    def get(path: str, /, code: str = "HCD19", **params):
        return api.get(f"/api/v1/studies/{code}/analytics/{path}/", params)

    return get
