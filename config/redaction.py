"""Keeps health data out of the logs.

Django logs a failed request by its path, never its query string or body, and the
registry's own code logs no patient data. What can still carry some is text nobody here
wrote: an exception's message (PostgreSQL quotes the offending row, as in
`DETAIL:  Key (study_id, subject_id)=(1, BR-001) already exists.`) or a request line with
its query string (`GET /studies/HCD19/?q=BR-001`). RedactHealthData, on the handler that
writes the log, rewrites every record before it is written: it withholds query strings and
PostgreSQL's DETAIL lines and replaces dates. A study id in other free text cannot be told
apart from any other word, so code must not log one.
"""

import logging
import re

REDACTIONS = [
    (re.compile(r"DETAIL:.*"), "DETAIL: [withheld]"),
    (re.compile(r"\?[^\s\"'<>]+"), "?[withheld]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "[date]"),
]


def redact(text: str) -> str:
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactHealthData(logging.Filter):
    """Rewrites the message, the exception and the stack of a record; lets every record pass."""

    formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
