"""The number fields of the pages (registry.web.numbers): a decimal comma read as meant or
refused at the field, never 392 for 39,2; the dose as a number and its unit."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from registry.web.numbers import NOT_A_NUMBER, DecimalNumberField, DoseField, WholeNumberField


def refusal(field, value) -> str:
    with pytest.raises(ValidationError) as caught:
        field.clean(value)
    return caught.value.messages[0]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("39,2", 39.2),
        ("39.2", 39.2),
        (" 39,2 ", 39.2),
        ("58", 58.0),
        ("0,5", 0.5),
        (",5", 0.5),
        ("39.250", 39.25),
        ("-1,5", -1.5),
        ("2.5e-3", 0.0025),
    ],
)
def test_it_reads_a_decimal_comma_as_a_point(text, number):
    assert DecimalNumberField().clean(text) == pytest.approx(number)


def test_it_refuses_a_comma_before_three_digits_as_thousands_or_decimals():
    message = refusal(DecimalNumberField(), "1,000")

    assert message == (
        "Is 1,000 a decimal or a number in thousands? "
        "Write it with a decimal point, or with no separator at all"
    )


@pytest.mark.parametrize("text", ["1,000,000", "1.000,5", "39,2,1", "39 2", "1e9999", "abc"])
def test_it_refuses_a_number_it_cannot_read_for_sure(text):
    assert refusal(DecimalNumberField(), text) == NOT_A_NUMBER


def test_a_whole_number_field_refuses_a_decimal_in_words():
    assert refusal(WholeNumberField(), "39,2") == "Enter a whole number, e.g. 7"
    assert WholeNumberField().clean(" 7 ") == 7


def test_number_fields_are_text_boxes_a_browser_does_not_empty():
    assert DecimalNumberField().widget.input_type == "text"
    assert DecimalNumberField().widget.attrs["inputmode"] == "decimal"
    assert WholeNumberField().widget.attrs["inputmode"] == "numeric"


@pytest.mark.parametrize(
    ("number", "unit", "cells_per_kg"),
    [
        ("1.0", "1e6", 1_000_000),
        ("1,0", "1e6", 1_000_000),
        ("2.4", "1e5", 240_000),
        ("2,4", "1e5", 240_000),
        ("240000", "1", 240_000),
        ("1e6", "1", 1_000_000),
        ("1.0 x 10^6", "1", 1_000_000),
        ("1.0 × 10^6", "1", 1_000_000),
        ("1.1×10**6", "1", 1_100_000),
        ("2.5 X 10^5", "1", 250_000),
        ("0.1234567", "1e6", 123_457),
    ],
)
def test_the_dose_is_a_number_in_its_unit_stored_in_cells_per_kg(number, unit, cells_per_kg):
    assert DoseField().clean([number, unit]) == cells_per_kg


def test_a_dose_posted_without_a_unit_is_in_cells_per_kg():
    assert DoseField().clean(["300000", None]) == 300_000


@pytest.mark.parametrize("unit", ["1e6", "1e5"])
def test_a_dose_with_its_own_power_of_ten_needs_cells_per_kg(unit):
    message = refusal(DoseField(), ["1.0 × 10^6", unit])

    assert message == (
        "1.0 × 10^6 has its own power of ten: choose cells/kg as the unit, "
        "or enter the number alone with its unit"
    )


def test_a_dose_refuses_an_unknown_unit():
    assert refusal(DoseField(), ["1", "1e9"]) == "Choose the dose's unit from the list"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [(1_500_000, ["1.5", "1e6"]), (240_000, ["2.4", "1e5"]), (5_000, ["5000", "1"])],
)
def test_a_stored_dose_is_shown_in_the_largest_unit_it_reaches(stored, shown):
    assert DoseField().widget.decompress(stored) == shown


# Beyond the database's range for the field (a small integer's), or a float's.
@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (WholeNumberField(min_value=0, max_value=32767), "-1", "Must be 0 or more"),
        (WholeNumberField(min_value=0, max_value=32767), "40000", "Too large a number"),
        (DecimalNumberField(), "1e400", "Too large a number"),
    ],
)
def test_a_number_beyond_the_database_is_refused_in_plain_words(field, typed, message):
    assert refusal(field, typed) == message


def test_a_number_beyond_the_database_is_refused_in_the_models_words_first():
    declared = [MinValueValidator(1, message="Day after infusion must be between 1 and 365")]
    field = WholeNumberField(min_value=0, max_value=32767, declared=declared)

    assert refusal(field, "-3") == "Day after infusion must be between 1 and 365"
