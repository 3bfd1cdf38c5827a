"""The flat export's CAR-T peak is the highest flow count in blood: a qPCR measurement or a
marrow count (cohort format 1.1) is another series."""

import csv
import io

import pytest

from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db


def test_the_peak_leaves_out_qpcr_and_marrow(reader_client, reader):
    patient = full_course()  # flow counts in blood: 5.2 on day 7, 80.5 on day 14
    membership_grant(user=reader, study=patient.study, role=Role.COORDINATOR)
    factories.CarTCountFactory(patient=patient, day=21, cells_per_ul=None, copies_per_ug_dna=9e5)
    factories.CarTCountFactory(patient=patient, day=21, cells_per_ul=300.0, specimen="bm")

    response = reader_client.get(f"/api/v1/studies/{patient.study.code}/export/patients.csv")
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))

    assert (row["car_t_peak_cells_per_ul"], row["car_t_peak_day"]) == ("80.5", "14")
