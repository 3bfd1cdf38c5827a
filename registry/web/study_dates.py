"""Dates on the pages in the study's format: `{% load study_dates %}`, then
`{{ patient.birth_date|study_date:study }}`. The argument is the study, or a form of its
pages (registry.web.forms), which knows the study's format; anything else means ISO. The
messages of the forms quote dates in it already (registry.form_fields.StudyDatesForm)."""

from datetime import date

from django import template

from registry.choices import DateFormat
from registry.date_formats import date_text

register = template.Library()


def format_of(holder) -> str:
    return getattr(holder, "date_format", None) or DateFormat.ISO


@register.filter
def study_date(value: date | None, holder) -> str:
    # A missing date reaches the filter as "" (a related record that is not there).
    return date_text(value, format_of(holder)) if value else ""
