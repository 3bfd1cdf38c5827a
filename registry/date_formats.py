"""How a date, or a moment, is written in a study's date format (choices.DateFormat): the
one writing that the records' names (`__str__`), the pages, the admin and the messages
quoting a moment share. Reading typed dates is registry.dates'."""

from datetime import date, datetime

from django.utils import timezone

from registry.choices import DateFormat


def date_text(value: date | datetime | None, date_format: str = DateFormat.ISO) -> str:
    """`value` in `date_format`; a moment is written as its local day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    # Not strftime, which writes the year 1 as "1", not "0001", on some systems.
    if date_format == DateFormat.DAY_MONTH_YEAR:
        return f"{value.day:02}/{value.month:02}/{value.year:04}"
    return value.isoformat()


def moment_text(value: datetime, date_format: str = DateFormat.ISO) -> str:
    """`value` to the minute in local time, its day in `date_format`: "15/10/2019 14:03 UTC"."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = f" {local.tzname()}" if local.tzname() else ""
    return f"{date_text(local.date(), date_format)} {local:%H:%M}{zone}"


class Moment(datetime):
    """A moment a message quotes among its params: said in ISO where the message is read as
    it is (the API), in the study's format on the pages and in the admin
    (registry.dates.quoted_in)."""

    @classmethod
    def of(cls, value: datetime) -> "Moment":
        local = timezone.localtime(value)
        return cls(
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
            tzinfo=local.tzinfo,
        )

    def __str__(self) -> str:
        return moment_text(self)
