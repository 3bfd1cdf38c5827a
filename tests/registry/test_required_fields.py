"""The casebook's rules (registry.required_fields), table-driven: what counts as missing,
each section's completeness, the study's required fields checked, the status after a
change."""

import pytest

from registry.required_fields import (
    COMPLETE,
    INCOMPLETE,
    SIGNED,
    VERIFIED,
    by_section,
    is_empty,
    required_problems,
    section_completeness,
    status_after_change,
    status_kept,
)


@pytest.mark.parametrize(
    ("value", "empty"),
    [
        (None, True),
        ("", True),
        ([], True),
        ("unknown", True),
        (0, False),
        (False, False),
        (0.0, False),
        ("negative", False),
        (["cns"], False),
    ],
)
def test_it_says_what_is_empty(value, empty):
    assert is_empty(value) is empty


@pytest.mark.parametrize(
    ("records", "missing"),
    [
        ([], ("status", "mrd")),  # a list with no record misses every field
        ([{"status": "cr", "mrd": "negative"}], ()),
        ([{"status": "cr", "mrd": "negative"}, {"status": "cr", "mrd": "unknown"}], ("mrd",)),
        ([{"status": "", "mrd": None}], ("status", "mrd")),
    ],
)
def test_a_section_misses_a_field_any_of_its_records_lacks(records, missing):
    found = section_completeness(("status", "mrd"), records)
    assert (found.required, found.missing, found.filled) == (2, missing, 2 - len(missing))


def test_a_section_with_nothing_required_is_complete():
    assert section_completeness((), []).missing == ()


KNOWN = {"patient": ("sex",), "infusions": ("date", "cells_per_kg")}


@pytest.mark.parametrize(
    ("paths", "problems"),
    [
        (["infusions.cells_per_kg", "patient.sex"], []),
        (
            "infusions.cells_per_kg",
            ["Give the required fields as a list of names such as infusions.cells_per_kg"],
        ),
        (["visits.date"], ["“visits.date”: the course has no section “visits”"]),
        (["infusions.dose"], ["“infusions.dose”: infusions has no field “dose”"]),
        (["patient.sex", "patient.sex"], ["Name each required field once"]),
    ],
)
def test_it_checks_a_study_s_required_fields(paths, problems):
    assert required_problems(paths, KNOWN) == problems


def test_it_groups_the_required_fields_by_section():
    paths = ["infusions.cells_per_kg", "patient.sex", "infusions.date"]
    assert by_section(paths) == {"infusions": ("cells_per_kg", "date"), "patient": ("sex",)}


@pytest.mark.parametrize(
    ("before", "missing", "after_change", "kept"),
    [
        (VERIFIED, (), COMPLETE, VERIFIED),
        (SIGNED, (), COMPLETE, SIGNED),
        (VERIFIED, ("mrd",), INCOMPLETE, INCOMPLETE),
        (COMPLETE, (), COMPLETE, COMPLETE),
        (INCOMPLETE, (), COMPLETE, COMPLETE),
    ],
)
def test_a_change_sets_a_verified_or_signed_section_back(before, missing, after_change, kept):
    assert status_after_change(missing) == after_change
    assert status_kept(before, missing) == kept
