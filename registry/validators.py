"""Range validators whose messages name the value in a clinician's words."""

from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible

EARLIEST_DATE = date(1900, 1, 1)
OLDEST_AGE = 120
DATE_OUT_OF_RANGE = "implausible_date"


def between(low: float, high: float, what: str) -> list:
    message = f"{what} must be between {low} and {high}"
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def not_negative(what: str) -> list:
    return [MinValueValidator(0, message=f"{what} cannot be negative")]


def at_most(high: int, what: str) -> list:
    """A ceiling in the clinician's words (`what` with its unit), which also keeps Django
    from adding the database's own ("Ensure this value is less than or equal to
    9223372036854775807.")."""
    return [MaxValueValidator(high, message=f"{what} cannot be more than {high:,}")]


# A hundred times the highest CAR-T dose in published protocols (10^8 cells/kg), in cells
# per kilogram: what no infusion reaches, well within what the database holds.
HIGHEST_DOSE_PER_KG = 10**10


def percent(what: str) -> list:
    message = f"{what} must be a percentage between 0 and 100"
    return [MinValueValidator(0, message=message), MaxValueValidator(100, message=message)]


def grade(what: str) -> list:
    return between(0, 5, f"{what} (ASTCT grade)")


def coded(what: str) -> dict:
    """Error messages for a coded field: the offending value and what the field is."""
    return {"invalid_choice": f"{what}: %(value)r is not one of the allowed codes"}


def completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def today_utc() -> date:
    return datetime.now(UTC).date()


def latest_date() -> date:
    """The latest date a clinical fact can have: tomorrow in UTC, which no time zone's today
    is later than. A planned date (an infusion next week) is not a fact yet."""
    return today_utc() + timedelta(days=1)


@deconstructible
class PlausibleDate:
    """A clinical date from 1900 to `latest_date()`, read when the value is validated.

    Every clinical date field has one, so the pages, the admin, the API and the cohort
    import refuse alike a date that would break every analysis (pandas holds dates from
    1677 to 2262 only) or make no sense in a patient's course.
    """

    in_words = f"from {EARLIEST_DATE} to tomorrow (UTC)"

    def __init__(self, what: str):
        self.what = what

    def __call__(self, value: date) -> None:
        if value < EARLIEST_DATE:
            self.refuse(
                f"%(value)s is before {EARLIEST_DATE.year}; enter a date from %(earliest)s on",
                value=value,
                earliest=EARLIEST_DATE,
            )
        self.refuse_future(value)

    def refuse_future(self, value: date) -> None:
        latest = latest_date()
        if value > latest:
            self.refuse(
                "%(value)s is in the future; enter a date no later than %(latest)s",
                value=value,
                latest=latest,
            )

    def refuse(self, problem: str, **dates: date) -> None:
        """Refuse with `problem`, which quotes `dates` by name ("%(value)s"): the pages
        write them in the study's format, the API in ISO (registry.dates)."""
        raise ValidationError(f"{self.what} {problem}", code=DATE_OUT_OF_RANGE, params=dates)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.what == self.what


@deconstructible
class PlausibleBirthDate(PlausibleDate):
    """A birth date giving an age of 0 to OLDEST_AGE completed years today (in UTC).

    Age at the infusion needs no rule of its own: the birth date is before the infusion
    (registry.rules) and the infusion no later than tomorrow, so the age there is 0 to 120
    as well, but for the one day an infusion dated tomorrow may add.
    """

    in_words = f"an age of 0 to {OLDEST_AGE} years today, and no later than tomorrow (UTC)"

    def __call__(self, value: date) -> None:
        self.refuse_future(value)
        age = completed_years(value, today_utc())
        if age > OLDEST_AGE:
            self.refuse(
                f"%(value)s would make the patient {age} years old; "
                f"the registry accepts ages 0–{OLDEST_AGE}",
                value=value,
            )
