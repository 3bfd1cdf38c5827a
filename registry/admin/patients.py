"""Coordinators' data entry: one patient on one page, with every section of the course
inline (registry.admin.sections), and the patient list with its clinical filters."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from registry import access, models, services
from registry.admin.access import ScopedPatientAdmin
from registry.admin.audit import AuditedAdmin, ChangeReasonForm
from registry.admin.course import CourseCheck
from registry.admin.display import saved_record_display
from registry.admin.sections import SECTION_INLINES
from registry.choices import DateFormat
from registry.patient_filters import BY_NAME


def patient_list_filter(name: str) -> type[admin.SimpleListFilter]:
    """The admin's list filter for the patient filter `name` (registry.patient_filters): the
    same parameter, choices and database lookup as the API's and the pages' lists."""
    defined = BY_NAME[name].filter

    class PatientListFilter(admin.SimpleListFilter):
        title = defined.label
        parameter_name = name

        def lookups(self, request, model_admin):
            return defined.extra["choices"]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            try:
                value = defined.field.clean(self.value())
            except ValidationError:
                return queryset.none()
            return defined.filter(queryset, value)

    return PatientListFilter


class StudyChoice(forms.Select):
    """The study a new patient goes in, each choice carrying its date format: the page's
    date boxes follow the study chosen (static/js/date_picker.js)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        study = getattr(value, "instance", None)
        if study is not None:
            option["attrs"]["data-date-format"] = study.date_format
        return option


class PatientForm(ChangeReasonForm):
    """A patient's own fields. A new patient's dates are read in the format of the study
    chosen for it, or proposed for it (the user's one study)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.study_id and "study" in self.fields:
            self.use_date_format(self._chosen_study_format())

    def _chosen_study_format(self) -> str:
        field = self.fields["study"]
        chosen = self.data.get(self.add_prefix("study")) if self.is_bound else None
        try:
            study = field.clean(chosen or self.initial.get("study"))
        except ValidationError:
            return DateFormat.ISO  # none, or not one of the user's: the field says so
        return study.date_format if study else DateFormat.ISO


@admin.register(models.Patient)
class PatientAdmin(ScopedPatientAdmin, AuditedAdmin):
    form = PatientForm
    list_display = [
        "subject_id",
        "study",
        "site",
        "sex",
        "d30_status",
        "died",
        "required_missing",
        "casebook_signed",
    ]
    list_filter = [
        ("study", admin.RelatedOnlyFieldListFilter),
        ("site", admin.RelatedOnlyFieldListFilter),
        patient_list_filter("d30_response"),
        patient_list_filter("prior_allo_hct"),
        patient_list_filter("vital_status"),
        patient_list_filter("missing_data"),
        patient_list_filter("casebook_signed"),
    ]
    search_fields = ["subject_id"]
    list_select_related = ["study", "site"]
    readonly_fields = ["age_years", "computed_toxicity"]
    inlines = SECTION_INLINES

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "study":
            kwargs["widget"] = StudyChoice
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request) -> dict:
        """A user who enters patients in one study only finds it chosen."""
        initial = super().get_changeform_initial_data(request)
        studies = models.Study.objects.filter(
            pk__in=access.editable_sites(request.user).values("study")
        )
        if "study" not in initial and len(only := studies[:2]) == 1:
            initial["study"] = only[0].pk
        return initial

    def save_formset(self, request, form, formset, change) -> None:
        """The inline records, through registry.services with the page's reason."""
        reason = form.cleaned_data.get(services.REASON_FIELD, "")
        versions = {
            f.instance.pk: f.cleaned_data.get("record_version") for f in formset.initial_forms
        }
        formset.save(commit=False)
        for record in formset.deleted_objects:
            services.record_delete(
                record=record,
                user=request.user,
                reason=reason,
                version=versions.get(record.pk),
                check_course=False,
            )
        for record in [*formset.new_objects, *(record for record, _ in formset.changed_objects)]:
            services.record_save(
                record=record,
                user=request.user,
                reason=reason,
                version=versions.get(record.pk),
                clean=False,
            )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "POST":
            if getattr(request, "course_check", None) is None:
                request.course_check = CourseCheck(obj)
            kwargs["course_check"] = request.course_check
        return kwargs

    @saved_record_display("computed maximum grades")
    def computed_toxicity(self, patient):
        crs, icans = patient.computed_grades()
        lines = [(f"CRS {crs.reason}",), (f"ICANS {icans.reason}",)]
        lines += [(f"Discrepancy — {text}",) for text in patient.grade_discrepancies()]
        return format_html_join("", "<div>{}</div>", lines)
