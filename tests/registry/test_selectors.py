"""registry.selectors.patient_courses: patients read as rows for the API's answers, which
must be the answers the model instances give."""

import json
from datetime import date
from pathlib import Path

import pytest
from rest_framework.renderers import JSONRenderer

from registry import models
from registry.api.serializers import PatientSerializer
from registry.interchange.importer import cohort_import
from registry.sections import LIST_KEYS, ONE_TO_ONE_KEYS
from registry.selectors import patient_courses
from tests import factories
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


def written(patients, many=True) -> bytes:
    return JSONRenderer().render(PatientSerializer(patients, many=many).data)


def from_instances(pks: list[int]) -> list[models.Patient]:
    """The patients as model instances, as the API reads one for a write's answer."""
    patients = models.Patient.objects.select_related("study", "site", *ONE_TO_ONE_KEYS)
    found = patients.prefetch_related(*LIST_KEYS).in_bulk(pks)
    return [found[pk] for pk in pks]


def test_it_gives_the_answers_of_the_model_instances_for_the_published_cohort():
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    pks = list(study.patients.order_by("subject_id").values_list("pk", flat=True))
    assert len(pks) == 19  # the paper's patients
    assert written(patient_courses(pks)) == written(from_instances(pks))


def test_it_gives_the_answer_of_a_patient_with_every_section_and_of_one_with_none():
    full = full_course()
    # A second infusion and CAR-T counts out of order: each section in its own order.
    factories.InfusionFactory(patient=full, date=date(2019, 12, 1), lot="L-0002")
    factories.CarTCountFactory(patient=full, day=3, cells_per_ul=0.5)
    bare = factories.PatientFactory(birth_date=None)
    for patient in (full, bare):
        (course,) = patient_courses([patient.pk])
        assert written(course, many=False) == written(from_instances([patient.pk])[0], many=False)
    (course,) = patient_courses([full.pk])
    assert [record.day for record in course.car_t_counts] == [3, 7, 14]
    assert course.age_years == full.age_years


def test_it_keeps_the_order_asked_and_leaves_out_a_patient_not_found():
    first, second = full_course(), factories.PatientFactory()
    courses = patient_courses([second.pk, 0, first.pk])
    assert [course.id for course in courses] == [second.pk, first.pk]


def test_it_reads_the_patients_then_each_section_once(django_assert_num_queries):
    pks = [full_course().pk for _ in range(3)]
    sections = len(LIST_KEYS) + len(ONE_TO_ONE_KEYS)
    with django_assert_num_queries(1 + sections):
        patient_courses(pks)
