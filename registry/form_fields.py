"""Form fields the admin and the data-entry pages share, and what their forms share: dates
in the study's format, text the registry can store."""

from django import forms
from django.core.exceptions import ValidationError

from registry import choices
from registry.dates import StudyDateField, quoted_in, record_name
from registry.jsontext import character_refusal, refused_character


class ExtramedullarySitesField(forms.MultipleChoiceField):
    """The sites of extramedullary disease as checkboxes, for the JSON list the model keeps."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        # The model's JSONField hands these to its form field; a choice field takes none.
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(choices=choices.ExtramedullarySite.choices, required=False, **kwargs)


class StudyDatesForm:
    """Mixed into a form of the pages or the admin: once told its study's format
    (`use_date_format`), its date fields read and show it, each message it is given writes
    the dates it quotes in it, and `saved_name` names its record as stored. Text holding a
    character the registry cannot store or export (registry.jsontext.refused_character: a
    control character pasted from a word processor) is refused beside its field."""

    date_format = choices.DateFormat.ISO
    saved_name = ""

    def use_date_format(self, date_format: str) -> None:
        self.date_format = date_format
        for field in self.fields.values():
            if isinstance(field, StudyDateField):
                field.use_format(date_format)
        # Validation copies what was typed onto the instance: a failed edit's title must
        # still name the record as it is saved.
        record = getattr(self, "instance", None)
        self.saved_name = record_name(record, date_format) if record and record.pk else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            found = refused_character(value) if isinstance(value, str) else None
            if found:
                self.add_error(name, character_refusal(found))
        return cleaned

    def add_error(self, field: str | None, error) -> None:
        # Every message reaches a form through here: its own fields', the model's, and
        # those a view adds from registry.services.
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        super().add_error(field, quoted_in(error, self.date_format))
