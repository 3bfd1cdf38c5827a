"""The table of a course's sections (registry.sections)."""

import pytest

from registry import models
from registry.sections import (
    BY_KEY,
    LIST_KEYS,
    SECTIONS,
    course_models,
    place_title,
    section_of,
)


def test_it_lists_the_sections_as_a_cohort_document_orders_a_patients_keys():
    # The cohort format, versions 1 and 1.1 (docs/cohort-format.md): its section keys, in
    # order; the lab values after the CAR-T counts, the dated treatments after the record.
    assert [section.key for section in SECTIONS] == [
        "eligibility",
        "genetics",
        "prior_therapies",
        "lymphodepletion",
        "infusions",
        "car_t_counts",
        "labs",
        "toxicities",
        "toxicity_treatments",
        "daily_assessments",
        "response_assessments",
        "events",
    ]


def test_it_names_for_each_section_the_patients_records_of_it():
    for section in SECTIONS:
        relation = models.Patient._meta.get_field(section.key)
        assert relation.related_model is section.model
        assert relation.one_to_one is not section.many


def test_it_gives_a_sections_fields_as_its_model_declares_them():
    assert BY_KEY["car_t_counts"].fields == ("day", "cells_per_ul", "copies_per_ug_dna", "specimen")
    assert BY_KEY["daily_assessments"].fields == models.DailyAssessment.document_fields


def test_it_finds_the_section_a_model_stores():
    assert section_of(models.Infusion) is BY_KEY["infusions"]
    assert section_of(models.Patient) is None
    assert section_of(models.Infusion.history.model) is None


def test_it_counts_the_patients_table_among_the_course_tables():
    assert course_models() == (models.Patient, *(section.model for section in SECTIONS))
    assert "events" in LIST_KEYS and "toxicities" not in LIST_KEYS


@pytest.mark.parametrize(
    ("place", "title"),
    [
        ("last_contact_date", "Patient: date of last contact"),
        ("eligibility.ecog", "Eligibility: ECOG performance status"),
        (
            "infusions[0].cells_per_kg",
            "CAR-T infusions, record 1: dose (CAR-positive viable cells/kg)",
        ),
        ("daily_assessments", "Daily CRS and ICANS assessments"),
        ("events[2]", "Follow-up events, record 3"),
        # What names no place is shown as written.
        ("infusions[0].nope", "infusions[0].nope"),
        ("weight", "weight"),
        ("birth_date[1]", "birth_date[1]"),
    ],
)
def test_it_names_a_place_in_the_course_as_a_clinician_does(place, title):
    assert place_title(place) == title
