"""The date field of the pages (registry.dates): the study's format and ISO, typed or
pasted; anything else refused with the format in words."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from registry.choices import DateFormat
from registry.date_formats import Moment, moment_text
from registry.dates import StudyDateField, quoted_in

ISO, DMY = DateFormat.ISO, DateFormat.DAY_MONTH_YEAR


def cleaned(text: str, date_format: str) -> date:
    return StudyDateField(date_format=date_format).clean(text)


def refusal(text: str, date_format: str) -> str:
    with pytest.raises(ValidationError) as caught:
        cleaned(text, date_format)
    return caught.value.messages[0]


@pytest.mark.parametrize(
    ("text", "date_format"),
    [
        ("15/10/2019", DMY),
        ("15-10-2019", DMY),
        ("15.10.2019", DMY),
        ("15102019", DMY),
        (" 15 / 10 / 2019 ", DMY),
        ("15\u00a010\u00a02019", DMY),
        ("2019-10-15", DMY),
        ("2019-10-15", ISO),
        ("  2019-10-15\n", ISO),
        ("20191015", ISO),
        ("2019/10/15", ISO),
    ],
)
def test_it_reads_the_study_format_and_iso_typed_or_pasted(text, date_format):
    assert cleaned(text, date_format) == date(2019, 10, 15)


def test_it_reads_a_day_and_month_without_leading_zeros():
    assert cleaned("5/3/2020", DMY) == date(2020, 3, 5)


def test_it_reads_day_month_year_only_in_a_study_set_to_it():
    assert "Enter the date as YYYY-MM-DD, e.g. 2019-10-15" in refusal("15/10/2019", ISO)


@pytest.mark.parametrize("text", ["15/10/19", "15 Oct 2019", "yesterday"])
def test_it_refuses_other_text_naming_the_format(text):
    assert refusal(text, DMY) == "Enter the date as DD/MM/YYYY, e.g. 15/10/2019"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("31/02/2020", "31/02/2020 is not a date: February 2020 has 29 days"),
        ("29/02/2019", "29/02/2019 is not a date: February 2019 has 28 days"),
        ("31/04/2021", "31/04/2021 is not a date: April 2021 has 30 days"),
        ("00/01/2021", "00/01/2021 is not a date: there is no day 0"),
        ("2021-13-01", "2021-13-01 is not a date: there is no month 13"),
        ("10/15/2019", "10/15/2019 is not a date: there is no month 15"),
    ],
)
def test_it_refuses_an_impossible_date_in_words(text, why):
    assert refusal(text, DMY) == f"{why}. Enter the date as DD/MM/YYYY, e.g. 15/10/2019"


def test_it_shows_a_date_in_the_study_format():
    field = StudyDateField(date_format=DMY)

    assert field.widget.format_value(date(2019, 10, 15)) == "15/10/2019"
    assert field.widget.attrs["placeholder"] == "DD/MM/YYYY"
    assert field.help_text == "As DD/MM/YYYY"


def test_it_keeps_the_field_s_own_help_after_the_format():
    field = StudyDateField(help_text="The date of death", date_format=ISO)
    field.use_format(DMY)

    assert field.help_text == "As DD/MM/YYYY. The date of death"


def test_it_writes_the_dates_a_message_quotes_in_the_study_format():
    error = ValidationError(
        {
            "date": ValidationError(
                "Infusion cannot be before enrolment (%(enrolled)s); day %(day)s",
                params={"enrolled": date(2021, 2, 1), "day": 7},
            ),
            "__all__": ["No date here: 2021-13-45"],
        }
    )

    assert quoted_in(error, DMY).message_dict == {
        "date": ["Infusion cannot be before enrolment (01/02/2021); day 7"],
        "__all__": ["No date here: 2021-13-45"],
    }
    assert quoted_in(error, ISO).message_dict == error.message_dict
    assert error.message_dict["date"] == ["Infusion cannot be before enrolment (2021-02-01); day 7"]


def test_it_writes_a_moment_a_message_quotes_to_the_minute_in_the_study_format():
    changed = Moment.of(datetime(2021, 2, 1, 14, 3, 59, tzinfo=UTC))
    error = ValidationError("Changed at %(at)s", params={"at": changed})

    assert error.messages == ["Changed at 2021-02-01 14:03 UTC"]
    assert quoted_in(error, DMY).messages == ["Changed at 01/02/2021 14:03 UTC"]
    assert moment_text(changed, ISO) == "2021-02-01 14:03 UTC"
