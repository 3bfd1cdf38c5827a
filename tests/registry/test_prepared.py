"""Queries whose SQL is made once (registry.prepared): the rows are the queryset's, for
each run's values."""

import pytest

from registry.models import Patient
from registry.prepared import Placeholder, list_size, listed, listed_values, prepared, rows
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_reads_the_rows_of_each_runs_values():
    first, second = factories.PatientFactory(subject_id="A1"), factories.PatientFactory()
    query = prepared(Patient.objects.filter(pk=Placeholder("patient")).values_list("subject_id"))
    assert rows(query, patient=first.pk) == [("A1",)]
    assert rows(query, patient=second.pk) == [(second.subject_id,)]
    assert rows(query, patient=second.pk + 1000) == []


def test_it_converts_the_columns_as_the_queryset_does():
    # SQLite gives a date and time as text, which the queryset turns into a datetime.
    patient = factories.PatientFactory()
    columns = ("updated", "site_id")
    query = prepared(Patient.objects.filter(pk=Placeholder("patient")).values_list(*columns))
    expected = Patient.objects.filter(pk=patient.pk).values_list(*columns).get()
    assert rows(query, patient=patient.pk) == [expected]
    assert rows(query, patient=patient.pk)[0][0] == patient.updated


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_one_query_serves_every_list_up_to_its_size(count):
    patients = [factories.PatientFactory() for _ in range(count)]
    size = list_size(count)
    query = prepared(
        Patient.objects.filter(pk__in=listed("patient", size)).order_by("pk").values_list("pk")
    )
    pks = [patient.pk for patient in patients]
    assert rows(query, **listed_values("patient", pks, size)) == [(pk,) for pk in sorted(pks)]
    assert rows(query, **listed_values("patient", pks[:1], size)) == [(pks[0],)]


def test_lists_take_a_few_sizes():
    assert [list_size(count) for count in (1, 2, 3, 4, 5, 50, 64, 65, 500)] == [
        1,
        2,
        4,
        4,
        8,
        64,
        64,
        128,
        512,
    ]
