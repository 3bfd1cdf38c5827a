"""Fixtures of the ADaM tests: the published cohort (tests/data/hcd19-published-cohort.json)
in the study HCD19, which `owner` (tests/conftest.py) coordinates, a client of theirs, and
the synthetic demonstration study (registry.demo), which they coordinate too."""

import copy
import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from registry.access import membership_grant
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.importer import cohort_import
from registry.models import Role, Study
from tests.clients import api_client_of

PUBLISHED = json.loads((Path(__file__).parents[2] / "data/hcd19-published-cohort.json").read_text())


def published_study() -> Study:
    return cohort_import(data=copy.deepcopy(PUBLISHED)).study


@pytest.fixture
def published(owner) -> Study:
    return published_study()


@pytest.fixture
def exporter(owner, published) -> APIClient:
    return api_client_of(owner)


def demo_study(owner) -> Study:
    """The synthetic demonstration study, DEMO, smaller than manage.py load_demo's."""
    study = synthetic_cohort_import(data=synthetic_cohort(code="DEMO", patients=60)).study
    membership_grant(user=owner, study=study, role=Role.COORDINATOR)
    return study


@pytest.fixture
def demo(owner) -> Study:
    return demo_study(owner)


@pytest.fixture(params=["HCD19", "DEMO"])
def study_code(request, published) -> str:
    """Each study the ADaM datasets are checked on: the published cohort, the demo."""
    if request.param == "DEMO":
        request.getfixturevalue("demo")
    return request.param
