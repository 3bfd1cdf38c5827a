"""The as_of and cutoff parameters every reader takes, the API's, the analytics' and the
export commands' alike: as recorded on a day (registry.snapshots), and the clinical cut-off
(registry.cutoff). A value that does not parse is a 400 (a command's usage error) naming it."""

from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status

from registry.snapshots import future_date_problem, unsettled_day_notice
from registry.validators import PlausibleDate

AS_OF_HELP = (
    "As recorded on: answer with the data as it had been entered by the end of this day "
    "(YYYY-MM-DD), before any later entry or correction; without it, the data as it "
    "stands. Not a clinical cut-off (see cutoff). Today's data can still change: an answer "
    "as recorded on today says so in a Warning header"
)
AS_OF_TODAY_WARNING = OpenApiParameter(
    "Warning",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description='Only with as_of= today: 299 - "…" saying that today\'s data can still '
    "change, so the same request may answer differently later today",
)


class UnsettledDayWarningMixin:
    """A view taking ?as_of=: its answer as recorded on today says that the day has not
    ended, so the data, and the answer, can still change (the Warning header)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        as_of = request.query_params.get("as_of")
        if status.is_success(response.status_code) and as_of is not None:
            notice = unsettled_day_notice(as_of)
            if notice:
                response["Warning"] = f'299 - "{notice}"'
        return response


class AsOfField(serializers.DateField):
    """An as-recorded date: a date whose end has come (registry.snapshots)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, help_text=AS_OF_HELP, **kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        problem = future_date_problem(day)
        if problem:
            raise serializers.ValidationError(problem)
        return day


NO_CUTOFF = "none"
CUTOFF_HELP = (
    "Clinical cut-off (YYYY-MM-DD): events, assessments and counts after this day are "
    "ignored, follow-up ends at it, patients first infused after it are left out; `none`: "
    "everything recorded. Unlike as_of, it does not change which records are read."
)

EXPORT_CUTOFF_HELP = (
    "Clinical cut-off (YYYY-MM-DD): the courses as known at the end of this day, later "
    "events, assessments and counts and patients first infused later left out; without "
    "it, or `none`, everything recorded (lossless)"
)


class CutoffField(serializers.DateField):
    """A clinical cut-off: a date, or NO_CUTOFF. Absent, the caller's default applies
    (clinical_cutoff)."""

    default_error_messages = {
        "invalid": "Give the clinical cut-off as a date, YYYY-MM-DD, or none for no cut-off.",
    }

    def __init__(self, help_text: str = CUTOFF_HELP, **kwargs):
        super().__init__(required=False, help_text=help_text, **kwargs)

    def to_internal_value(self, value) -> date | str:
        if isinstance(value, str) and value.strip().lower() == NO_CUTOFF:
            return NO_CUTOFF
        day = super().to_internal_value(value)
        # A clinical date like any other (a date far off cannot even be computed with);
        # none, not a date to come, looks at everything.
        try:
            PlausibleDate("The clinical cut-off")(day)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return day


def clinical_cutoff(given: date | str | None, default: date | None) -> date | None:
    """The cut-off a validated `cutoff` asks for: its date, None for NO_CUTOFF, `default`
    when not given (the study's data_cutoff for analyses; None for lossless exports)."""
    if given is None:
        return default
    return None if given == NO_CUTOFF else given


def date_argument(text: str) -> date:
    """A command's date, YYYY-MM-DD; a usage error naming the rule."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None


def as_of_argument(text: str) -> date:
    """A command's --as-of: a date whose end has come; a usage error naming the rule."""
    day = date_argument(text)
    problem = future_date_problem(day)
    if problem:
        raise ArgumentTypeError(problem)
    return day


def cutoff_argument(text: str) -> date | str:
    """A command's --cutoff, validated as the API's `cutoff`: a date or NO_CUTOFF, which
    clinical_cutoff turns into the cut-off with the command's own default."""
    try:
        return CutoffField().run_validation(text)
    except serializers.ValidationError as error:
        raise ArgumentTypeError(" ".join(error.detail)) from None


def add_snapshot_arguments(parser: ArgumentParser, *, cutoff_help: str) -> None:
    """--as-of and --cutoff, as every export command takes them."""
    parser.add_argument(
        "--as-of",
        type=as_of_argument,
        metavar="YYYY-MM-DD",
        help="export the data as recorded on this day (default: as it stands)",
    )
    parser.add_argument(
        "--cutoff", type=cutoff_argument, metavar=f"YYYY-MM-DD|{NO_CUTOFF}", help=cutoff_help
    )


def given_params(query: QueryDict, names: Iterable[str]) -> dict[str, str]:
    """The parameters among `names` that `query` gives a value. One left empty (?site=, as
    a form sends a field left blank) is taken as not given, as the lists' filters take it."""
    return {name: query[name] for name in names if query.get(name, "") != ""}


def query_problems(query: QueryDict, allowed: list[str]) -> dict[str, list[str]]:
    """The parameters that are unknown, or given more than once, each with its message."""
    errors = {
        name: ["Unknown parameter. Allowed: " + ", ".join(allowed)]
        for name in query
        if name not in allowed
    }
    return errors | {
        name: ["Give this parameter once."] for name in query if len(query.getlist(name)) > 1
    }


class SnapshotParams(serializers.Serializer):
    as_of = AsOfField()
    cutoff = CutoffField(help_text=EXPORT_CUTOFF_HELP)


SINCE_HELP = (
    "Only what changed after this moment (ISO 8601, e.g. 2025-03-01T08:00:00Z; a date alone "
    "means its start in the registry's time zone): a transactional document read from the "
    "audit trail; without it, a snapshot of everything"
)


class SinceField(serializers.DateTimeField):
    """A moment already past: the start of the changes a transactional export holds."""

    default_error_messages = {
        "invalid": "Give since as a date and time, e.g. 2025-03-01T08:00:00Z, or a date.",
    }

    def __init__(self, **kwargs):
        super().__init__(required=False, help_text=SINCE_HELP, **kwargs)

    def to_internal_value(self, value) -> datetime:
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                value = datetime.combine(date.fromisoformat(value.strip()), time.min)
            except ValueError:
                self.fail("invalid")
        moment = super().to_internal_value(value)
        if moment > timezone.now():
            raise serializers.ValidationError("since cannot be a moment still to come.")
        return moment


class ChangesParams(SnapshotParams):
    since = SinceField()


def download_params(query: QueryDict, params_class: type[SnapshotParams] = SnapshotParams) -> dict:
    """The validated parameters of a download (absent ones left out; `cutoff` None when not
    given: a download is lossless unless cut off); a ValidationError naming each bad or
    unknown parameter."""
    allowed = list(params_class().fields)
    errors = query_problems(query, allowed)
    params = params_class(data=given_params(query, allowed))
    if not params.is_valid():
        errors |= params.errors
    if errors:
        raise serializers.ValidationError(errors)
    found = dict(params.validated_data)
    return found | {"cutoff": clinical_cutoff(found.get("cutoff"), None)}
