"""The sections of the patient page: which form edits each, and what each card shows."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.shortcuts import get_object_or_404
from django.urls import reverse

from registry import access, choices, models
from registry.eligibility import Verdict, eligibility_verdict
from registry.grading import Grade, graded_by_capd
from registry.sections import BY_KEY, LIST_KEYS, ONE_TO_ONE_KEYS, section_title
from registry.web import forms, lab_forms
from registry.web.lab_grid import lab_grid


@dataclass(frozen=True)
class Section:
    name: str  # "patient", or the section's key in registry.sections
    form_class: type[forms.RegistryForm]
    # Cards whose content other sections change reload when the course changes.
    refreshes: bool = False
    form_template: str = "web/sections/form.html"

    @property
    def title(self) -> str:
        return section_title(self.name)

    @property
    def many(self) -> bool:
        section = BY_KEY.get(self.name)
        return section is not None and section.many

    @property
    def model(self) -> type[Model]:
        return self.form_class._meta.model

    @property
    def display_template(self) -> str:
        return f"web/sections/{self.name}.html"

    @property
    def record_name(self) -> str:
        return self.model._meta.verbose_name


# In the order of the patient page, which is the order a clinician reads a course in, not
# that of a cohort document.
SECTIONS = {
    section.name: section
    for section in (
        # Reloads for its last contact, which follows a death recorded in the events.
        Section("patient", forms.PatientForm, refreshes=True),
        Section(
            "eligibility",
            forms.EligibilityForm,
            refreshes=True,
            form_template="web/sections/eligibility_form.html",
        ),
        Section("prior_therapies", forms.PriorTherapyForm),
        Section("genetics", forms.GeneticsForm),
        Section("lymphodepletion", forms.LymphodepletionForm),
        Section("infusions", forms.InfusionForm),
        Section(
            "daily_assessments",
            forms.DailyAssessmentForm,
            refreshes=True,
            form_template="web/sections/daily_assessment_form.html",
        ),
        Section("toxicity_treatments", forms.ToxicityTreatmentForm),
        Section("toxicities", forms.ToxicityRecordForm, refreshes=True),
        Section("response_assessments", forms.ResponseAssessmentForm),
        Section("car_t_counts", forms.CarTCountForm),
        Section(
            "labs",
            lab_forms.LabResultForm,
            form_template="web/sections/lab_form.html",
        ),
        Section("events", forms.FollowUpEventForm),
    )
}


@dataclass(frozen=True)
class AssessmentRow:
    record: models.DailyAssessment
    crs: Grade
    icans: Grade
    treatments: list[models.ToxicityTreatment]

    @property
    def oxygen(self) -> str:
        """The kind of support without its definition, short enough for a table cell; ""
        without support (the field's default)."""
        if not self._found("oxygen"):
            return ""
        return self.record.get_oxygen_display().split(" (")[0]

    @property
    def neurology(self) -> list[str]:
        """The coded ICANS findings (consciousness, seizure, …) other than the normal one,
        each field's default, as the page names them."""
        fields = self.record._meta
        return [
            getattr(self.record, f"get_{name}_display")()
            for name in models.DailyAssessment.icans_findings
            if fields.get_field(name).choices and self._found(name)
        ]

    def _found(self, name: str) -> bool:
        """The coded finding `name` is other than the normal one, its field's default."""
        return getattr(self.record, name) != self.record._meta.get_field(name).default


def patient_for_page(pk: int, user) -> models.Patient:
    """The patient with every section loaded, so a page costs a fixed number of queries;
    404 unless `user` reads the patient (registry.access)."""
    queryset = models.Patient.objects.select_related("study", "site", *ONE_TO_ONE_KEYS)
    queryset = queryset.prefetch_related(*LIST_KEYS)
    return get_object_or_404(access.visible_patients(user, queryset), pk=pk)


def check_can_edit(user, patient: models.Patient) -> None:
    """403 for a patient the user reads but may not change (a monitor's, say)."""
    if not access.can_edit_patient(user, patient):
        raise PermissionDenied


def patient_for_edit(pk: int, user) -> models.Patient:
    """As patient_for_page, and 403 unless `user` may change the patient."""
    patient = patient_for_page(pk, user)
    check_can_edit(user, patient)
    return patient


def record_of(section: Section, patient: models.Patient, item: int | None = None) -> Model:
    """The record a section's form edits: stored, or new and attached to the patient."""
    if section.name == "patient":
        return patient
    if section.many:
        if item is None:
            return section.model(patient=patient)
        return get_object_or_404(section.model, pk=item, patient=patient)
    return getattr(patient, section.name, None) or section.model(patient=patient)


def new_form(section: Section, patient: models.Patient, record: Model, data=None, *, user):
    if section.name == "labs" and record.pk is None:
        # Lab values are added a day at a time.
        return lab_forms.LabDayForm(data, patient=patient)
    if section.name == "patient":
        sites = access.editable_sites(user, patient.study.sites.all())
        return section.form_class(data, instance=record, study=patient.study, sites=sites)
    return section.form_class(data, instance=record)


def card_context(section: Section, patient: models.Patient) -> dict:
    """What a section's card shows besides its records."""
    context = {"section": section, "patient": patient}
    if section.many:
        context["records"] = list(getattr(patient, section.name).all())
    else:
        context["record"] = record_of(section, patient)
    if section.name == "eligibility" and context["record"].pk:
        context["verdict"] = context["record"].verdict()
        context["extramedullary"] = [
            choices.ExtramedullarySite(code).label
            for code in context["record"].extramedullary_sites
        ]
    if section.name == "daily_assessments":
        context |= assessment_rows(patient, context["records"])
    if section.name in ("daily_assessments", "toxicities"):
        context["computed"] = patient.computed_grades()
        context["discrepancies"] = patient.grade_discrepancies()
    if section.name == "toxicities":
        context["icaht"] = patient.computed_icaht()
        context["icaht_discrepancy"] = patient.icaht_discrepancy()
    if section.name == "labs":
        context["grid"] = lab_grid(context["records"], patient.pk)
    return context


def assessment_rows(patient: models.Patient, assessments: list) -> dict:
    """Each day's assessment with its grades and the toxicity treatments given that day;
    the treatments of days without an assessment apart."""
    by_day: dict[int, list[models.ToxicityTreatment]] = {}
    for treatment in patient.toxicity_treatments.all():
        by_day.setdefault(treatment.day, []).append(treatment)
    age = patient.age_years
    rows = [
        AssessmentRow(
            assessment,
            assessment.crs_grade(),
            assessment.icans_grade(age),
            by_day.pop(assessment.day, []),
        )
        for assessment in assessments
    ]
    return {"rows": rows, "age": age, "other_treatments": sorted(by_day.items())}


def live_grades(form: forms.DailyAssessmentForm, patient: models.Patient) -> dict:
    """The ASTCT grades of the assessment in the form: as typed, or as stored."""
    ignored = []
    assessment = form.instance
    if form.is_bound:
        findings = [*models.DailyAssessment.crs_findings, *models.DailyAssessment.icans_findings]
        values, ignored = forms.typed_values(form, findings)
        assessment = models.DailyAssessment(patient=patient, **values)
    age = patient.age_years
    return {
        "crs": assessment.crs_grade(),
        "crs_hint": assessment.crs_no_fever_hint(),
        "icans": assessment.icans_grade(age),
        "age": age,
        "graded_by_capd": graded_by_capd(age),
        "ignored": ignored,
    }


def typed_verdict(study: models.Study, form: forms.EligibilityForm, murine_count: int) -> Verdict:
    """The eligibility verdict of what has been typed into the form so far."""
    values, _ = forms.typed_values(form, models.Eligibility.document_fields)
    return eligibility_verdict(
        **values | {"extramedullary_sites": values["extramedullary_sites"] or []},
        murine_cd19_cart_count=murine_count,
        criteria=study.eligibility_criteria(),
    )


def murine_cart_count(patient: models.Patient) -> int:
    kind = choices.PriorTherapyKind.MURINE_CD19_CART
    return sum(therapy.kind == kind for therapy in patient.prior_therapies.all())


def form_context(section: Section, patient: models.Patient, form, item: int | None) -> dict:
    """What a card in edit mode adds: where the form posts, its title, its live feedback."""
    args = [patient.pk, section.name]
    if not section.many:
        url, title = reverse("web:section-edit", args=args), section.title
    elif item is None:
        url, title = reverse("web:section-add", args=args), f"New {section.record_name}"
    else:
        url, title = reverse("web:section-item-edit", args=[*args, item]), f"Edit {form.saved_name}"
    context = {"form": form, "item": item, "form_url": url, "form_title": title}
    if not form.is_bound:
        # The Edit or Add button that opened the form is gone: the cursor goes to the form.
        form.visible_fields()[0].field.widget.attrs["autofocus"] = True
    if section.name == "daily_assessments":
        context["live"] = live_grades(form, patient)
    if section.name == "labs" and item is None:
        context["form_title"] = "A day's lab values"
        context["icaht"] = patient.computed_icaht(lab_forms.typed_anc(form))
    elif section.name == "labs" and form.instance.analyte == "anc":
        typed = lab_forms.typed_value_anc(form) if form.is_bound else []
        leaving_out = item if form.is_bound else None
        context["icaht"] = patient.computed_icaht(typed, leaving_out=leaving_out)
    if section.name == "eligibility":
        context["live_verdict"] = (
            typed_verdict(patient.study, form, murine_cart_count(patient))
            if form.is_bound
            else form.instance.verdict()
        )
    return context
