"""Dates on the pages, written and read in the study's format (Study.date_format): the
clinicians' forms and displays, the dashboard, the Export page and the admin.

The API and the exports stay ISO (YYYY-MM-DD): they are a machine contract. The pages read
ISO too, whatever the study's format, so that a date pasted from anywhere in the registry
fits; its four-digit year first leaves no doubt about which part is the day.

A message of the model layer that quotes a date carries it as a parameter
(`ValidationError(message, params={"died": date})`): its text, `error.messages`, says it in
ISO, as the API does; a form of the pages or the admin writes it in the study's format
(`quoted_in`, registry.form_fields.StudyDatesForm).
"""

import calendar
import re
from collections.abc import Iterable
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from registry import models
from registry.choices import DateFormat
from registry.date_formats import date_text, moment_text
from registry.models.section import Section

EXAMPLE = date(2019, 10, 15)

# Pasted text keeps odd spacing ("15 / 10 / 2019"); a dot or a dash is as clear as a slash.
_SEP = r"\s*[-/.\s]\s*"
_ISO_TYPED = re.compile(rf"(?P<year>\d{{4}}){_SEP}(?P<month>\d{{1,2}}){_SEP}(?P<day>\d{{1,2}})")
# Each format also without separators, as a phone's number pad types it (inputmode numeric).
_TYPED = {
    DateFormat.ISO: re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"),
    DateFormat.DAY_MONTH_YEAR: re.compile(
        rf"(?P<day>\d{{1,2}}){_SEP}(?P<month>\d{{1,2}}){_SEP}(?P<year>\d{{4}})"
        r"|(?P<day8>\d{2})(?P<month8>\d{2})(?P<year8>\d{4})"
    ),
}


def date_format_of(record, study: models.Study | None = None) -> str:
    """The date format of `record`'s study (a study's own, a patient's, a section's), or of
    `study` for a record not yet in one (a form of the enrolment page)."""
    if study is None and isinstance(record, models.Study):
        study = record
    if study is None and isinstance(record, models.Patient) and record.study_id:
        study = record.study
    if study is None and isinstance(record, Section):
        return record.date_format
    return study.date_format if study else DateFormat.ISO


def date_format_of_stored(model: type, pk: int) -> str:
    """The date format of the study the patient or section `pk` is in; if it was deleted,
    of the study it was in, read from the history (its last version, a section's patient's)."""
    stored = model._default_manager.filter(pk=pk).first()
    if stored is not None:
        return date_format_of(stored)
    last = model.history.filter(id=pk).order_by("-history_id").first()
    if last is None:
        return DateFormat.ISO
    if model is models.Patient:
        study_id = last.study_id
    else:
        patients = models.Patient.history.filter(id=last.patient_id).order_by("-history_id")
        study_id = patients.values_list("study_id", flat=True).first()
    study = models.Study.objects.filter(pk=study_id).first()
    return study.date_format if study else DateFormat.ISO


def quoted_in(error: ValidationError, date_format: str) -> ValidationError:
    """`error` with each date it quotes (a date among its params) written in `date_format`."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [quoted_in(each, date_format) for each in errors]
                for field, errors in error.error_dict.items()
            }
        )
    if not hasattr(error, "message"):
        return ValidationError([quoted_in(each, date_format) for each in error.error_list])
    if not isinstance(error.params, dict):
        return error
    params = {name: quoted_value(value, date_format) for name, value in error.params.items()}
    return ValidationError(error.message, code=error.code, params=params)


def quoted_value(value, date_format: str):
    """A value as a message quotes it: a date or a moment in `date_format`."""
    if isinstance(value, datetime):
        return moment_text(value, date_format)
    return date_text(value, date_format) if isinstance(value, date) else value


def record_name(record, date_format: str) -> str:
    """`str(record)`, with the date it is named by written in `date_format`."""
    named = getattr(record, "named", None)
    return named(date_format) if named else str(record)


def dates_written(query: QueryDict, names: Iterable[str], date_format: str) -> QueryDict:
    """`query` with each date of `names` written in `date_format`, as a page's fields show
    it: the links between the pages carry dates in ISO."""
    return _rewritten(query, names, date_format, lambda day: date_text(day, date_format))


def iso_dates(query: QueryDict, names: Iterable[str], date_format: str) -> QueryDict:
    """`query` with each date of `names`, typed in `date_format` or ISO, in ISO: as the API
    reads it and the links between the pages carry it."""
    return _rewritten(query, names, date_format, date.isoformat)


def _rewritten(query: QueryDict, names, date_format: str, write) -> QueryDict:
    rewritten = query.copy()
    for name in names:
        try:
            day = date_from_text(rewritten.get(name, ""), date_format)
        except ValidationError:
            continue  # empty, or no date: left as given, for its field to refuse
        rewritten[name] = write(day)
    return rewritten


def format_hint(date_format: str) -> str:
    return f"Enter the date as {date_format}, e.g. {date_text(EXAMPLE, date_format)}"


def date_from_text(text: str, date_format: str = DateFormat.ISO) -> date:
    """The date typed or pasted as `text`, in `date_format` or ISO; a ValidationError that
    names the expected format otherwise."""
    typed = text.strip()
    match = _ISO_TYPED.fullmatch(typed) or _TYPED[date_format].fullmatch(typed)
    if match is None:
        raise ValidationError(format_hint(date_format), code="invalid")
    parts = {key.rstrip("8"): int(value) for key, value in match.groupdict().items() if value}
    try:
        return date(parts["year"], parts["month"], parts["day"])
    except ValueError:
        raise ValidationError(
            f"{typed} is not a date: {impossible(**parts)}. {format_hint(date_format)}",
            code="invalid",
        ) from None


def impossible(*, year: int, month: int, day: int) -> str:
    """Why a day, month and year make no date, in words."""
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day == 0:
        return "there is no day 0"
    last = calendar.monthrange(year, month)[1]
    return f"{calendar.month_name[month]} {year} has {last} days"


class StudyDateInput(forms.TextInput):
    """A text box that takes typing and pasting; static/js/date_picker.js adds a button
    that opens the browser's own calendar."""

    def __init__(self, date_format: str = DateFormat.ISO):
        self.date_format = date_format
        attrs = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": date_format,
            "data-date-format": date_format,
            "class": "date-box",
        }
        super().__init__(attrs)

    def format_value(self, value) -> str | None:
        if isinstance(value, date):
            return date_text(value, self.date_format)
        return super().format_value(value)


class StudyDateField(forms.DateField):
    """A date field of the pages: reads the study's format and ISO, shows the study's."""

    widget = StudyDateInput

    def __init__(self, *, date_format: str = DateFormat.ISO, **kwargs):
        super().__init__(**kwargs)
        self.own_help_text = self.help_text
        self.use_format(date_format)

    def use_format(self, date_format: str) -> None:
        """Read and show `date_format`: the format of the form's study, known only once the
        form is made for a record."""
        self.date_format = date_format
        # Attributes given before (an inline row's aria-label) stay; the format's are new.
        given = self.widget.attrs
        self.widget = StudyDateInput(date_format)
        self.widget.attrs = given | self.widget.attrs
        # The hint, in the help text that the input is described by (aria-describedby).
        hint = f"As {date_format}"
        self.help_text = f"{hint}. {self.own_help_text}" if self.own_help_text else hint

    def to_python(self, value) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date_from_text(str(value), self.date_format)
