"""registry.snapshots.courses: patients with their sections loaded, a chunk at a time."""

import gc
import weakref

import pytest

from registry import models, snapshots
from tests.api.conftest import full_course


@pytest.fixture
def seven(db) -> list[models.Patient]:
    return [full_course(subject_id=f"P{number}") for number in range(1, 8)]


def test_courses_keep_the_order_and_load_every_section(seven, django_assert_num_queries):
    patients = list(snapshots.courses(snapshots.records(models.Patient).order_by("-subject_id")))

    assert [patient.subject_id for patient in patients] == [f"P{n}" for n in range(7, 0, -1)]
    with django_assert_num_queries(0):
        for patient in patients:
            assert patient.site.code
            assert patient.eligibility.bm_blast_pct == 40
            assert [event.kind for event in patient.events.all()] == ["relapse", "death"]
            assert len(patient.car_t_counts.all()) == 2


def test_courses_hold_one_chunk_at_a_time(seven, monkeypatch):
    monkeypatch.setattr(snapshots, "CHUNK", 3)
    patients = snapshots.courses(snapshots.records(models.Patient).order_by("subject_id"))
    first_chunk = [weakref.ref(next(patients)) for _ in range(3)]
    gc.disable()  # only the reader's own collection may free the chunk before
    try:
        assert next(patients).subject_id == "P4"
    finally:
        gc.enable()

    assert [ref() for ref in first_chunk] == [None, None, None]


def test_courses_records_are_the_stored_records_as_the_orm_reads_them(seven):
    patient = next(snapshots.courses(snapshots.records(models.Patient).order_by("subject_id")))
    count = patient.car_t_counts.all()[0]
    stored = models.CarTCount.objects.get(pk=count.pk)

    fields = [field.attname for field in models.CarTCount._meta.concrete_fields]
    assert [getattr(count, name) for name in fields] == [getattr(stored, name) for name in fields]
    count.validate_constraints()  # known as stored: its own day is no duplicate of itself


def test_courses_are_read_with_the_collector_paused_and_it_is_back_on_after(seven):
    collector_on = [gc.isenabled() for _ in snapshots.courses(snapshots.records(models.Patient))]
    assert collector_on == [False] * 7
    assert gc.isenabled()


def test_a_reader_left_before_the_end_turns_the_collector_back_on(seven):
    patients = snapshots.courses(snapshots.records(models.Patient))
    next(patients)
    assert not gc.isenabled()
    patients.close()
    assert gc.isenabled()
