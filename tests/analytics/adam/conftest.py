"""Fixtures of the ADaM tests: the published cohort (tests/data/hcd19-published-cohort.json)
in the study HCD19, which `owner` (tests/conftest.py) coordinates, and a client of theirs."""

import copy
import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from registry.interchange.importer import cohort_import
from registry.models import Study

PUBLISHED = json.loads((Path(__file__).parents[2] / "data/hcd19-published-cohort.json").read_text())


@pytest.fixture
def published(owner) -> Study:
    return cohort_import(data=copy.deepcopy(PUBLISHED)).study


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def exporter(owner, published) -> APIClient:
    return client_of(owner)
