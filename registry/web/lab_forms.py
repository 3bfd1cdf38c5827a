"""The forms of a patient's lab values: one value, and a day's values entered together.

The forms hold no rules: a value's analyte, unit, specimen and range are checked by the
model (LabResult.clean, registry.analytes) when registry.services saves it, and each
message comes back to the field it names.
"""

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from registry import analytes, models
from registry.dates import date_format_of
from registry.form_fields import StudyDatesForm
from registry.web.forms import RegistryForm, SpecimenField, page_formfield
from registry.web.numbers import DecimalNumberField

NO_LIMIT_GIVEN = "Give the limit of detection as the value: below it, the value is that limit"


def unit_choices(analyte: analytes.Analyte) -> list[tuple[str, str]]:
    return [(unit, unit) for unit in analyte.units]


def conversion_factors(analyte: analytes.Analyte) -> dict[str, float]:
    """unit -> how many of the registry's unit one of it makes, for the converted value
    shown beside the input (static/js/lab_units.js); none for an analyte kept as given."""
    if analyte.code in analytes.UNCONVERTED:
        return {}
    return {unit: float(factor) for unit, factor in analyte.units.items()}


def checked_day(day: int | None) -> int | None:
    """The day, refused in the model's words when no lab value may have it."""
    if day is not None:
        models.LabResult._meta.get_field("day").run_validators(day)
    return day


class LabRowForm(StudyDatesForm, forms.Form):
    """One analyte's row of a day's lab values; left without a value, it is not saved.

    The unit and specimen are offered as lists; what is posted is checked by the model, in
    its words, so a unit of another analyte is refused by name."""

    value = DecimalNumberField(label="Value", required=False)
    unit = forms.CharField(label="Unit", widget=forms.Select)
    specimen = SpecimenField()
    below_detection = forms.BooleanField(label="Below detection", required=False)

    def __init__(self, data=None, *, analyte: analytes.Analyte):
        super().__init__(data, prefix=analyte.code, initial={"unit": next(iter(analyte.units))})
        self.analyte = analyte
        self.fields["unit"].widget.choices = unit_choices(analyte)
        self.fields["value"].label = analyte.name
        # Each input of the row is named by its analyte for a screen reader.
        for name, words in (
            ("unit", f"Unit of {analyte.name}"),
            ("specimen", f"Specimen of {analyte.name}"),
            ("below_detection", f"{analyte.name} below the limit of detection"),
        ):
            self.fields[name].widget.attrs["aria-label"] = words
        self.factors = json.dumps(conversion_factors(analyte))
        self.series_unit = next(iter(analyte.units))

    @property
    def entered(self) -> bool:
        """Whether the row was filled in: a value, or below detection ticked."""
        if not self.is_bound:
            return False
        value = self.data.get(self.add_prefix("value"), "")
        return bool(value.strip()) or self.add_prefix("below_detection") in self.data

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("below_detection") and cleaned.get("value") is None:
            self.add_error("value", NO_LIMIT_GIVEN)
        return cleaned

    def lab_result(self, patient: models.Patient, day: int) -> models.LabResult:
        return models.LabResult(
            patient=patient, day=day, analyte=self.analyte.code, **self.cleaned_data
        )

    def refused(self, error: ValidationError) -> None:
        """The model's refusal of this row, each message at its field (the day's and the
        record's as a whole above the row)."""
        for key, messages in getattr(error, "error_dict", {NON_FIELD_ERRORS: error}).items():
            self.add_error(key if key in self.fields else None, messages)


class LabDayForm(StudyDatesForm, forms.Form):
    """The day of a day's lab values, checked as the model checks a lab value's day."""

    day = page_formfield(models.LabResult._meta.get_field("day"))

    def __init__(self, data=None, *, patient: models.Patient):
        super().__init__(data, prefix="lab")
        self.patient = patient
        self.rows = {
            group: [LabRowForm(data, analyte=analytes.ANALYTES[code]) for code in codes]
            for group, codes in analytes.ANALYTE_GROUPS.items()
        }
        self.fields["day"].help_text = models.LabResult._meta.get_field("day").help_text
        # The generic card reads the format and the saved name of every form.
        date_format = date_format_of(patient)
        for form in (self, *self.all_rows()):
            form.use_date_format(date_format)

    def row_of(self, analyte: str) -> LabRowForm:
        return next(row for row in self.all_rows() if row.analyte.code == analyte)

    def all_rows(self) -> list[LabRowForm]:
        return [row for rows in self.rows.values() for row in rows]

    def entered_rows(self) -> list[LabRowForm]:
        return [row for row in self.all_rows() if row.entered]

    def clean_day(self) -> int | None:
        return checked_day(self.cleaned_data.get("day"))

    def clean_typed_day(self) -> int | None:
        """The day as typed so far, checked alone (ValidationError when it is not one)."""
        return checked_day(self.fields["day"].clean(self.data.get(self.add_prefix("day"), "")))

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.is_bound and not self.entered_rows():
            raise ValidationError("Enter at least one value: a row left empty is not saved")
        return cleaned

    def rows_valid(self) -> bool:
        """Whether the day and every row filled in are valid, all checked at once."""
        return all([self.is_valid(), *(row.is_valid() for row in self.entered_rows())])

    def check_rows_taken(self) -> None:
        """The model's refusals of the rows the form itself took, on the day typed, so that
        every value refused is said at once, not a batch at each save. After rows_valid."""
        day = self.cleaned_data.get("day")
        if day is None:
            return
        for row in self.entered_rows():
            if row.is_valid():
                try:
                    row.lab_result(self.patient, day).full_clean()
                except ValidationError as error:
                    row.refused(error)

    def say_refused(self) -> None:
        """Above the form: nothing was saved, and which rows were refused."""
        names = self.refused_rows()
        if names:
            which = ", ".join(names)
            self.add_error(
                None,
                f"Nothing was saved: the value{'s' if len(names) > 1 else ''} of {which} "
                f"{'were' if len(names) > 1 else 'was'} refused. Correct "
                f"{'them' if len(names) > 1 else 'it'} below, or empty the row.",
            )

    def refused_rows(self) -> list[str]:
        """The names of the analytes whose rows were refused, for the message above."""
        return [row.analyte.name for row in self.entered_rows() if row.errors]


def typed_anc(form) -> list[analytes.Measurement]:
    """The ANC in blood typed into a day's form, for the live ICAHT grade: none until the
    day and a value the registry accepts are typed."""
    if not isinstance(form, LabDayForm) or not form.is_bound:
        return []
    row = form.row_of("anc")
    typed = {name: row.data.get(row.add_prefix(name), "") for name in ("value", "unit", "specimen")}
    try:
        day = form.clean_typed_day()
        value = row.fields["value"].clean(typed["value"])
    except ValidationError:
        return []
    below = row.add_prefix("below_detection") in row.data
    return _anc_in_blood(day, value, typed["unit"], typed["specimen"], below)


def typed_value_anc(form: "LabResultForm") -> list[analytes.Measurement]:
    """The ANC in blood typed into the form of one stored value (selected on the lab grid),
    for the live ICAHT grade: none for another analyte, and none until a day and a value
    the registry accepts are typed."""
    if form.instance.analyte != "anc" or not form.is_bound:
        return []
    typed = {
        name: form.data.get(form.add_prefix(name), "")
        for name in ("day", "value", "unit", "specimen")
    }
    try:
        day = form.fields["day"].clean(typed["day"])
        value = form.fields["value"].clean(typed["value"])
    except ValidationError:
        return []
    below = form.add_prefix("below_detection") in form.data
    return _anc_in_blood(day, value, typed["unit"], typed["specimen"], below)


def _anc_in_blood(
    day: int | None, value: float | None, unit: str, specimen: str, below: bool
) -> list[analytes.Measurement]:
    """The typed ANC as a measurement in the registry's unit, if it is one in blood that the
    registry accepts."""
    specimen = specimen or analytes.PERIPHERAL_BLOOD
    if day is None or value is None or specimen != analytes.PERIPHERAL_BLOOD:
        return []
    if analytes.lab_problems(analyte="anc", value=value, unit=unit):
        return []
    return [analytes.Measurement(day, analytes.to_series_unit("anc", value, unit), below)]


class LabResultForm(RegistryForm):
    """One stored lab value, changed on its own; its analyte stays (delete the value and
    enter it again to move it to another)."""

    unit = forms.CharField(label="Unit", widget=forms.Select)
    specimen = SpecimenField()

    class Meta:
        model = models.LabResult
        fields = ["day", "value", "unit", "specimen", "below_detection"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        analyte = analytes.ANALYTES.get(self.instance.analyte)
        self.analyte = analyte
        self.fields["unit"].widget.choices = unit_choices(analyte) if analyte else []
        if analyte:
            self.fields["value"].label = f"{analyte.name} ({analyte.label})"
            self.factors = json.dumps(conversion_factors(analyte))
            self.series_unit = next(iter(analyte.units))
