"""Dates on the pages, written and read in the study's format (Study.date_format): the
clinicians' forms and displays, the dashboard, the Export page and the study's admin panel.

The API and the exports stay ISO (YYYY-MM-DD): they are a machine contract. The pages read
ISO too, whatever the study's format, so that a date pasted from anywhere in the registry
fits; its four-digit year first leaves no doubt about which part is the day.
"""

import calendar
import re
from collections.abc import Iterable
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from registry.choices import DateFormat

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
_ISO_IN_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def date_text(value: date | datetime | None, date_format: str = DateFormat.ISO) -> str:
    """`value` in `date_format`; a moment is written as its local day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    # Not strftime, which writes the year 1 as "1", not "0001", on some systems.
    if date_format == DateFormat.DAY_MONTH_YEAR:
        return f"{value.day:02}/{value.month:02}/{value.year:04}"
    return value.isoformat()


def dates_in_text(text: str, date_format: str = DateFormat.ISO) -> str:
    """`text` with each ISO date in it written in `date_format`. The model layer's messages
    quote dates in ISO, as the API must show them; the pages show them in the study's."""

    def rewrite(match: re.Match) -> str:
        try:
            return date_text(date.fromisoformat(match[0]), date_format)
        except ValueError:
            return match[0]

    return _ISO_IN_TEXT.sub(rewrite, str(text))


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
        self.widget = StudyDateInput(date_format)
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
