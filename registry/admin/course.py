"""The admin's one-page patient form, checked as a whole course before anything is saved.

Each inline record's own `clean()` checks it against the stored course; a submission that
adds an infusion and a death together must also be checked against itself. Every inline
formset of one request shares a `CourseCheck`, which builds the course the submission
would store and puts each new problem next to its field.
"""

from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property

from registry.course import problem_error, protocol_of, record_fields, stored_course
from registry.dates import date_format_of, quoted_in
from registry.problems import grouped
from registry.rules import course_problems, last_contact_after_events
from registry.sections import section_of


class CourseCheck:
    def __init__(self, patient):
        self.patient = patient
        self.formsets: list[CourseFormSet] = []
        self._problems = None

    def problems(self) -> list[tuple[object, str, ValidationError]]:
        """(form or None, field, error) for every problem the submission would add, the
        dates it quotes in the study's format."""
        if self._problems is None:
            for formset in self.formsets:
                for form in formset.forms:
                    form.errors  # noqa: B018 - cleans the form, so its instance holds the input
            self._problems = self._find()
        return self._problems

    def _find(self):
        if self.patient is None or not self.patient.study_id:
            return []
        protocol = protocol_of(self.patient.study)
        stored = type(self.patient).objects.filter(pk=self.patient.pk).first()
        before = set(course_problems(stored_course(stored)[0], protocol)) if stored else set()
        course, forms, changed = record_fields(self.patient), {}, []
        for formset in self.formsets:
            section = section_of(formset.model)
            name = section.key
            kept = [form for form in formset.forms if _kept(formset, form)]
            records = [record_fields(form.instance) for form in kept]
            course[name] = records if section.many else (records[0] if records else None)
            for index, form in enumerate(kept):
                path = f"{name}[{index}]" if section.many else name
                forms[path] = form
                if not form.instance.pk or form.has_changed():
                    changed.append(path)
        if stored and stored.last_contact_date == self.patient.last_contact_date:
            # Not typed on this page: last contact follows an event recorded or moved here.
            course["last_contact_date"] = last_contact_after_events(course)
        added = [p for p in course_problems(course, protocol) if p not in before]
        found, date_format = [], date_format_of(self.patient)
        # The records this page changes are told their own problems; those a changed field
        # makes for records left as they were are said at that field, one line per section.
        for problem in grouped(added, saved=changed):
            where, _, field = problem.path.rpartition(".")
            error = quoted_in(problem_error(problem), date_format)
            found.append((forms.get(where), field, error))
        return found


def _kept(formset, form) -> bool:
    if formset.can_delete and formset._should_delete_form(form):
        return False
    return bool(form.instance.pk) or form.has_changed()


class CourseFormSet(BaseInlineFormSet):
    def __init__(self, *args, course_check: CourseCheck | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_check = course_check
        if course_check is not None:
            course_check.formsets.append(self)

    def get_form_kwargs(self, index):
        # The patient's format, which a new record's form cannot read from its record.
        return super().get_form_kwargs(index) | {"date_format": self.date_format}

    @cached_property
    def date_format(self) -> str:
        return date_format_of(self.instance)

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        # In a tabular inline the box has only its column's heading: named for a screen reader.
        if DELETION_FIELD_NAME in form.fields:
            form.fields[DELETION_FIELD_NAME].widget.attrs.setdefault("aria-label", "Delete")

    def clean(self):
        super().clean()
        if self.course_check is None:
            return
        first = self.course_check.formsets[0] is self
        for form, field, error in self.course_check.problems():
            message = error.messages[0]
            if form is not None and form in self.forms and field in form.fields:
                if message not in form.errors.get(field, []):
                    form.add_error(field, error)
            elif form is None and first:
                self._non_form_errors.append(message)
