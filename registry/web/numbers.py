"""Numbers as clinicians type and paste them: a decimal comma, a power of ten, a dose unit.

A number box of the browser (type="number") drops what it cannot read, "39,2" in an
English browser, and posts nothing: the pages use text boxes, read here, so that what was
typed is either read as meant or refused at the field, never stored as something else.
"""

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError

NOT_A_NUMBER = (
    "Enter a number, e.g. 39.2 or 39,2, without thousands separators; "
    "a power of ten as 1.5e6 or 1.5 x 10^6"
)
_NUMBER = re.compile(
    r"(?P<sign>[-+]?)(?P<whole>\d*)(?:(?P<point>[.,])(?P<fraction>\d+))?"
    r"(?:[eE](?P<e>[-+]?\d{1,3})|\s*[xX×*]\s*10\s*(?:\^|\*\*)\s*(?P<power>[-+]?\d{1,3}))?"
)


def number_from_text(text: str) -> tuple[Decimal, bool]:
    """The number typed or pasted as `text`, and whether it carries its own power of ten.

    A decimal comma is read as a decimal point when it is the number's only separator.
    A comma before exactly three digits could as well separate thousands: it is refused,
    so that 1,000 is never read as 1.
    """
    match = _NUMBER.fullmatch(text.strip())
    if match is None or not (match["whole"] or match["fraction"]):
        raise ValidationError(NOT_A_NUMBER, code="invalid")
    if match["point"] == "," and len(match["fraction"]) == 3:
        raise ValidationError(
            f"Is {text.strip()} a decimal or a number in thousands? "
            "Write it with a decimal point, or with no separator at all",
            code="ambiguous_comma",
        )
    digits = f"{match['sign']}{match['whole'] or 0}.{match['fraction'] or 0}"
    power = match["e"] or match["power"]
    number = Decimal(digits).scaleb(int(power)) if power else Decimal(digits)
    return number, power is not None


TOO_LARGE = "Too large a number"


class PlainLimits:
    """Mixed into a number field of the pages: a number beyond what the database holds (the
    `min_value` and `max_value` Django gives the form field of an integer) is refused in
    the words of the model field's own validators (`declared`, e.g. "Day after infusion
    must be between 0 and 365"), or in plain words when it has none, not in Django's
    ("Ensure this value is less than or equal to 9223372036854775807."); so is a number
    too large for a float."""

    def __init__(self, *, min_value=None, max_value=None, declared=(), **kwargs):
        super().__init__(**kwargs)
        self.lowest, self.highest, self.declared = min_value, max_value, tuple(declared)

    def validate(self, value) -> None:
        if value is not None and not math.isfinite(value):
            raise ValidationError(TOO_LARGE, code="out_of_range")
        super().validate(value)
        if value is None:
            return
        too_low = self.lowest is not None and value < self.lowest
        too_high = self.highest is not None and value > self.highest
        if too_low or too_high:
            for validator in self.declared:
                validator(value)
            raise ValidationError(
                TOO_LARGE if too_high else f"Must be {self.lowest} or more", code="out_of_range"
            )


class DecimalNumberField(PlainLimits, forms.FloatField):
    """A measured number (temperature, weight, percent, count) as text that takes a comma."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value) -> float | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int | float):
            return float(value)
        return float(number_from_text(str(value))[0])


class WholeNumberField(PlainLimits, forms.IntegerField):
    """A whole number (a day, a score) in a text box: "39,2" is refused with words."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    default_error_messages = {"invalid": "Enter a whole number, e.g. 7"}


# The dose units of the infusion form, with their value in cells/kg.
DOSE_UNITS = [("1e6", "×10⁶/kg"), ("1e5", "×10⁵/kg"), ("1", "cells/kg")]


class DoseInput(forms.MultiWidget):
    """The number and its unit. The number box keeps the field's own name, so that a form
    posted without a unit (a script, an old page) means cells/kg, the stored unit."""

    use_fieldset = False

    def __init__(self, attrs=None):
        number = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        unit = forms.Select(choices=DOSE_UNITS, attrs={"aria-label": "Unit", "class": "unit"})
        super().__init__({"": number, "unit": unit}, attrs)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_

    def decompress(self, value) -> list:
        """A stored dose in the largest unit it is at least one of."""
        if value is None:
            return [None, "1"]
        for factor, _ in DOSE_UNITS:
            if value >= Decimal(factor) or factor == "1":
                number = Decimal(value) / Decimal(factor)
                return [f"{number.normalize():f}", factor]


class DoseField(PlainLimits, forms.IntegerField):
    """The dose in cells/kg, typed as a number and a unit: 2.4 with ×10⁵/kg is 240,000."""

    widget = DoseInput

    def to_python(self, value) -> int | None:
        if isinstance(value, int):
            return value
        number_text, unit = value if isinstance(value, list | tuple) else (value, None)
        if number_text in self.empty_values:
            return None
        number, has_power = number_from_text(str(number_text))
        unit = unit or "1"
        if has_power and unit != "1":
            raise ValidationError(
                f"{number_text.strip()} has its own power of ten: choose cells/kg as the unit, "
                "or enter the number alone with its unit",
                code="two_units",
            )
        if unit not in dict(DOSE_UNITS):
            raise ValidationError("Choose the dose's unit from the list", code="invalid_unit")
        cells = number * Decimal(unit)
        return int(cells.to_integral_value(rounding=ROUND_HALF_UP))
