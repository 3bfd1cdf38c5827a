"""The filters of a study's pages: search, filters and sorting of its patient list, the
filters of its data queries and of its follow-up visits.

The filters are the registry's own (registry.patient_filters, registry.queries) under the
same names as in the API, the dashboard and the Export page, so the links between those
pages carry them as they are; here they take the pages' words and widgets.
"""

import django_filters
from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

from registry import models, patient_filters, queries, schedule
from registry.dates import StudyDateField, dates_written
from registry.sorting import ThenByStudyId

ANY = "Any"


class FilterSelect(forms.Select):
    """A filter's choices, written as Django's Select writes them, but each option at once
    rather than through a template of its own: on a study of many sites those templates
    were most of the time a page took."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = widget["optgroups"]
        if any(group_name for group_name, _options, _index in groups):
            return super().render(name, value, attrs, renderer)
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], flatatt(option["attrs"]), option["label"])
                for _group_name, group_options, _index in groups
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', widget["name"], flatatt(widget["attrs"]), options
        )


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, site: models.Site) -> str:
        return site.label


class SiteFilter(django_filters.ModelChoiceFilter):
    """A page's sites by code (`?site=BOREN`), each offered by its label; the page sets
    the queryset to the user's sites."""

    field_class = SiteChoiceField

    def __init__(self, *, empty_label: str, field_name: str = "site"):
        super().__init__(
            field_name=field_name,
            label="Site",
            queryset=models.Site.objects.none(),
            to_field_name="code",
            empty_label=empty_label,
        )


def with_filter_selects(form: forms.Form) -> None:
    """The lists of a page's filters written by FilterSelect."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget = FilterSelect(attrs=field.widget.attrs, choices=field.widget.choices)


def in_page_words(field: forms.Field, *, empty_label: str | None, label: str = "") -> None:
    """A filter's field as a page shows it: without the API's help text, which speaks of
    the API's codes, with `label` if given, and with `empty_label` for its empty choice."""
    field.help_text = ""
    field.label = label or field.label
    if empty_label is None:
        return
    if hasattr(field, "empty_label"):
        field.empty_label = empty_label
        # The widget was copied holding the choices of the filter's own field, which say
        # that field's empty label; this form's field says the page's.
        field.widget.choices = field.choices
    elif isinstance(field, forms.ChoiceField):
        # A true/false field offers no empty choice of its own.
        field.choices = [("", empty_label), *field.choices]


class PatientFilterSet(patient_filters.PatientFilterSet):
    """The patient filters over the patients of one study, with the page's widgets: its
    sites to choose from, dates in the study's format, "Any" for no choice."""

    q = django_filters.CharFilter(
        field_name="subject_id", lookup_expr="icontains", label="Search study id"
    )
    site = SiteFilter(empty_label="All sites")
    sort = ThenByStudyId(
        fields=[
            ("subject_id", "subject_id"),
            ("site__code", "site"),
            ("birth_date", "birth_date"),
            ("enrollment_date", "enrollment_date"),
            ("d30_status", "d30"),
            ("last_contact_date", "last_contact_date"),
        ]
    )

    class Meta(patient_filters.PatientFilterSet.Meta):
        pass

    def __init__(
        self, data: QueryDict, *, sites: QuerySet[models.Site], date_format: str, **kwargs
    ):
        super().__init__(dates_written(data, patient_filters.DATE_FILTERS, date_format), **kwargs)
        # The page is the study's own.
        del self.filters["study"]
        self.filters["site"].queryset = sites
        # Offered from the sites as read already (else a query of their own), and checked
        # against the queryset as before: through Django's own setter of the choices, as
        # django-filter's takes a queryset.
        site_field = self.form.fields["site"]
        forms.ModelChoiceField.choices.fset(
            site_field,
            [
                ("", site_field.empty_label),
                *((site.code, site_field.label_from_instance(site)) for site in sites),
            ],
        )
        # The widgets are changed on this form's own fields: a filter's field, once made,
        # is shared by every FilterSet copied from it.
        for name, field in self.form.fields.items():
            if name == "site" or name not in patient_filters.BY_NAME:
                continue
            if isinstance(field, forms.DateField):
                self.form.fields[name] = StudyDateField(
                    label=field.label, required=False, date_format=date_format
                )
            else:
                in_page_words(field, empty_label=ANY)
        with_filter_selects(self.form)


class DataQueryFilterSet(queries.DataQueryFilterSet):
    """The data query filters over the queries of one study, in the page's words: the
    user's sites to choose from, and what choosing nothing means."""

    site = SiteFilter(field_name="patient__site", empty_label="All your sites")

    class Meta(queries.DataQueryFilterSet.Meta):
        pass

    # Each filter's label on the page, and what its empty choice says (None: no choices).
    WORDS = {
        "rule": ("Opened by", "Anyone"),
        "status": ("Status", "Open or answered"),
        "unresolved": ("Awaiting", ANY),
        "older_than_days": ("Open for at least (days)", None),
    }

    def __init__(self, data: QueryDict, *, sites: QuerySet[models.Site], **kwargs):
        super().__init__(data, **kwargs)
        # The page is the study's own.
        del self.filters["study"]
        self.filters["site"].queryset = sites
        for name, (label, empty_label) in self.WORDS.items():
            in_page_words(self.form.fields[name], empty_label=empty_label, label=label)
        with_filter_selects(self.form)


class FollowUpFilters(forms.Form):
    """The follow-up page's filters, in its words. The API's parameters judge them
    (registry.schedule_list.schedule_params): a site, timepoint or status is offered from a
    list, and checked there; the dates are read here, in the study's format or ISO."""

    DATES = ("due_from", "due_to")

    site = forms.CharField(label="Site", required=False)
    timepoint = forms.CharField(label="Timepoint", required=False)
    status = forms.CharField(label="Status", required=False)
    due_from = StudyDateField(label="Target date from", required=False)
    due_to = StudyDateField(label="Target date to", required=False)

    def __init__(self, query: QueryDict, *, study: models.Study, sites: QuerySet[models.Site]):
        super().__init__(dates_written(query, self.DATES, study.date_format))
        offered = {
            "site": [("", "All your sites"), *((site.code, site.label) for site in sites)],
            "timepoint": [("", ANY), *((t.name, t.name) for t in study.timepoints.all())],
            "status": [("", ANY), *schedule.STATUS_LABELS.items()],
        }
        for name, choices in offered.items():
            self.fields[name].widget = FilterSelect(choices=choices)
        for name in self.DATES:
            self.fields[name].use_format(study.date_format)

    def with_refusals(self, refused: dict[str, list]) -> dict[str, list]:
        """Put the API's refusals beside their fields, where the form has not said its own
        (a date it could not read); those of the parameters with no field, returned."""
        elsewhere = {}
        for name, messages in refused.items():
            if name not in self.fields:
                elsewhere[name] = messages
            elif name not in self.errors:
                self.add_error(name, [str(message) for message in messages])
        return elsewhere
