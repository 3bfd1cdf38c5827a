"""One form per section of a patient's course.

The forms hold no rules: each is a ModelForm over the section's document fields, so
`is_valid()` runs the model's field validators and `clean()`, which include the course
rules (`registry.course.validate_in_course`). Every rule the model layer can raise names a
field these forms contain, so each message lands beside its field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models as db
from django.db.models import QuerySet
from django.utils.text import capfirst

from registry import analytes, choices, models, services
from registry.dates import StudyDateField, date_format_of, quoted_in
from registry.form_fields import ExtramedullarySitesField, StudyDatesForm
from registry.units import FIELD_UNITS
from registry.web.numbers import DecimalNumberField, DoseField, PlainLimits, WholeNumberField

# Shown beside the input, so a number is never typed without its unit in view; the dose
# is typed with a unit of its own choosing (registry.web.numbers.DoseField).
UNITS = {name: unit.shown for name, unit in FIELD_UNITS.items() if name != "cells_per_kg"}


# The form field of the pages for each kind of model field: dates in the study's format,
# numbers that take a decimal comma (registry.dates, registry.web.numbers).
FIELD_CLASSES = (
    (db.DateField, StudyDateField),
    (db.FloatField, DecimalNumberField),
    (db.IntegerField, WholeNumberField),
)


def page_formfield(model_field: db.Field, **kwargs) -> forms.Field | None:
    """The form field of `model_field` on the pages, unless the form names its own class."""
    for model_class, form_class in FIELD_CLASSES:
        if isinstance(model_field, model_class):
            kwargs.setdefault("form_class", form_class)
            break
    if issubclass(kwargs.get("form_class", object), PlainLimits):
        # Those the model declares, without the database's range Django adds to them.
        kwargs["declared"] = model_field._validators
    return model_field.formfield(**kwargs)


class RegistryForm(StudyDatesForm, forms.ModelForm):
    """Dates in the study's format, numbers as clinicians type them, and the unit of every
    measured number.

    `study` gives the date format where the record does not (a form of the enrolment page).
    """

    def __init_subclass__(cls, **kwargs):
        # Runs before Django reads the new form's own Meta, to give it the page's fields
        # and, unless it names its own, the fields of the section's document.
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(page_formfield)
        if meta is not None and not hasattr(meta, "fields"):
            meta.fields = meta.model.document_fields
        super().__init_subclass__(**kwargs)

    def __init__(self, *args, study: models.Study | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_date_format(date_format_of(self.instance, study))
        for name, field in self.fields.items():
            if isinstance(field, forms.TypedChoiceField) and field.choices[0][0] == "":
                blank = "Choose…" if field.required else "Not recorded"
                field.choices = [("", blank), *field.choices[1:]]
            field.unit = UNITS.get(name, "")
            # Named, not Django's "This field is required.", for the summary above the form.
            field.error_messages["required"] = f"{capfirst(field.label or name)} is required"


def section_form(model: type[db.Model]) -> type[RegistryForm]:
    """The form of a section that needs nothing of its own."""
    return forms.modelform_factory(model, form=RegistryForm, fields=model.document_fields)


class PatientForm(RegistryForm):
    """The patient's own fields. The study is fixed by the page, never posted; the site is
    one of `sites`, those of the study where the user enters data (registry.access)."""

    class Meta:
        model = models.Patient
        fields = ["study", "subject_id", "site", *models.Patient.document_fields]
        widgets = {"study": forms.HiddenInput}
        help_texts = {"subject_id": "The pseudonymous code: never a name or record number"}

    def __init__(self, *args, study: models.Study, sites: QuerySet[models.Site], **kwargs):
        super().__init__(*args, study=study, **kwargs)
        self.instance.study = study
        self.initial["study"] = study.pk
        # Part of the form (though never posted) so that the database's "one study id
        # per study" constraint is checked by the model before saving.
        self.fields["study"].disabled = True
        self.fields["site"].queryset = sites
        self.fields["site"].empty_label = "Choose a site"
        if self.instance.pk and self.instance.died:
            # Set by the death (registry.services): shown, never typed a second time.
            contact = self.fields["last_contact_date"]
            contact.disabled = True
            contact.help_text = (
                "The date of death: it moves with the death's date, changed in Follow-up events"
            )


class EligibilityForm(RegistryForm):
    extramedullary_sites = ExtramedullarySitesField(label="Extramedullary disease sites")

    class Meta:
        model = models.Eligibility
        labels = {"adequate_organ_function": "Adequate organ function"}


GeneticsForm = section_form(models.Genetics)


PriorTherapyForm = section_form(models.PriorTherapy)


class PriorMurineCartForm(RegistryForm):
    """The earlier murine CD19 CAR-T asked for at enrolment; more are added later."""

    class Meta:
        model = models.PriorTherapy
        # A prior therapy's fields but its kind, which this form sets.
        fields = [name for name in models.PriorTherapy.document_fields if name != "kind"]
        labels = {"date": "Date of the murine CD19 CAR-T"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = choices.PriorTherapyKind.MURINE_CD19_CART


LymphodepletionForm = section_form(models.Lymphodepletion)


class InfusionForm(RegistryForm):
    class Meta:
        model = models.Infusion
        field_classes = {"cells_per_kg": DoseField}


class SpecimenField(forms.CharField):
    """The specimen, offered as a list; left out, peripheral blood, as the model's default.
    What is posted is checked by the model, in its words."""

    widget = forms.Select(choices=list(analytes.SPECIMENS.items()))

    def __init__(self, **kwargs):
        kwargs = {"label": "Specimen", "initial": analytes.PERIPHERAL_BLOOD} | kwargs
        super().__init__(required=False, **kwargs)

    def clean(self, value) -> str:
        return super().clean(value) or analytes.PERIPHERAL_BLOOD


class CarTCountForm(RegistryForm):
    """Flow cytometry, qPCR or both, in one specimen."""

    specimen = SpecimenField()

    class Meta:
        model = models.CarTCount


class ToxicityTreatmentForm(RegistryForm):
    """One dose of a treatment of CRS, ICANS or a related toxicity; the treatment is
    offered as a list and checked by the model (registry.analytes)."""

    treatment = forms.CharField(
        label="Treatment",
        widget=forms.Select(choices=[("", "Choose…"), *analytes.TOXICITY_TREATMENTS.items()]),
    )

    class Meta:
        model = models.ToxicityTreatment


ToxicityRecordForm = section_form(models.ToxicityRecord)


class DailyAssessmentForm(RegistryForm):
    class Meta:
        model = models.DailyAssessment

    def crs(self):
        return [self[name] for name in self.Meta.model.crs_findings]

    def icans(self):
        return [self[name] for name in self.Meta.model.icans_findings]


class ResponseAssessmentForm(RegistryForm):
    class Meta:
        model = models.ResponseAssessment


class FollowUpEventForm(RegistryForm):
    """Each field of one kind of event (a relapse's CD19 status, a death's cause) shows only
    with that kind chosen: `shown_when` names the choice, read by static/js/relevance.js.
    Without the script every field shows, and the model refuses one of another kind."""

    class Meta:
        model = models.FollowUpEvent

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.add_prefix("kind")
        for name, (event_kind, _refusal) in self.Meta.model.recorded_only_with.items():
            self.fields[name].shown_when = f"{kind}={event_kind}"


VERSION_MISSING = (
    "The form came without the version of the record it was opened on, so a change "
    "someone else saved since could be overwritten: nothing was saved. Reload the page "
    "and make your change again."
)


class ChangeForm(StudyDatesForm, forms.Form):
    """Posted with each section's form, and to delete a record: why a saved record changes,
    and the version the user opened (registry.services refuses a save over a newer one).

    A change to a saved record must name its version: without it the check of
    registry.services would be skipped.
    """

    change_reason = forms.CharField(
        label="Reason for change",
        max_length=services.REASON_MAX_LENGTH,
        error_messages={"required": services.REASON_REQUIRED},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, record):
        super().__init__(data, initial={"version": record.version})
        # A refusal quotes the course's dates: shown in the study's format.
        self.use_date_format(date_format_of(record))
        self.record_saved = record.pk is not None
        reason = self.fields["change_reason"]
        reason.required = record.pk is not None
        reason.help_text = (
            "Kept in the patient's history"
            if reason.required
            else "Optional for a new record; kept in the patient's history"
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        # Said above the form: the version is a hidden field, with no place for a message.
        if self.record_saved and cleaned.get("version") is None:
            raise ValidationError(VERSION_MISSING, code="version_missing")
        return cleaned


def typed_values(form: forms.ModelForm, names) -> tuple[dict, list[str]]:
    """What the user has typed so far, field by field, for live feedback before saving.

    Each field is cleaned on its own with the form field and the model field's validators
    (type and range; no rules across fields or records). A value that does not clean counts
    as not entered. Returns the values and the messages of those left out.
    """
    values, ignored = {}, []
    model = form._meta.model
    for name in names:
        field = form.fields[name]
        raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        try:
            values[name] = field.clean(raw)
            model._meta.get_field(name).run_validators(values[name])
        except ValidationError as error:
            values[name] = None
            ignored.extend(
                f"{field.label}: {message}"
                for problem in quoted_in(error, form.date_format).error_list
                if problem.code != "required"
                for message in problem.messages
            )
    return values, ignored
