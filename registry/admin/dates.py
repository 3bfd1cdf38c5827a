"""Dates in the admin as on the pages: in the study's format (registry.dates), in a text box
that takes typing and pasting, with the calendar button of static/js/date_picker.js."""

from django.db import models

from registry.dates import StudyDateField, StudyDateInput


class StudyDatesAdmin:
    """Mixed into a ModelAdmin or an inline whose form is a registry.form_fields.StudyDatesForm,
    which tells its date fields the study's format."""

    # In place of the admin's own date widget, which reads and writes ISO only.
    formfield_overrides = {
        models.DateField: {"form_class": StudyDateField, "widget": StudyDateInput}
    }

    class Media:
        js = ["js/date_picker.js"]
        css = {"all": ["css/date_picker.css", "css/admin.css"]}
