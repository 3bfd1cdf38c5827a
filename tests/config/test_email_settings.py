"""Email settings come from the environment: the console by default, SMTP when asked for, and
a bad value stops start-up naming the variable."""

import pytest

from tests.config.test_settings import run_settings

SHOW_EMAIL = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_TIMEOUT, "
    "s.DEFAULT_FROM_EMAIL, s.SITE_URL or '-')"
)


@pytest.mark.parametrize(
    ("environment", "shown"),
    [
        pytest.param(
            {},
            [
                "django.core.mail.backends.console.EmailBackend",
                "localhost",
                "25",
                "False",
                "10",
                "registry@localhost",
                "-",
            ],
            id="to the console by default",
        ),
        pytest.param(
            {
                "EMAIL_BACKEND": "smtp",
                "EMAIL_HOST": "mail.hospital.example",
                "EMAIL_PORT": "587",
                "EMAIL_USE_TLS": "true",
                "EMAIL_TIMEOUT": "5",
                "DEFAULT_FROM_EMAIL": "registry@hospital.example",
                "SITE_URL": "https://registry.hospital.example/",
            },
            [
                "django.core.mail.backends.smtp.EmailBackend",
                "mail.hospital.example",
                "587",
                "True",
                "5",
                "registry@hospital.example",
                "https://registry.hospital.example",
            ],
            id="through the smtp server named",
        ),
    ],
)
def test_it_sends_emails_as_the_environment_says(environment, shown):
    result = run_settings(SHOW_EMAIL, SECRET_KEY="x", **environment)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == shown


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"EMAIL_BACKEND": "sendmail"}, "EMAIL_BACKEND must be one of console, smtp, not 'sendmail'"),
        ({"EMAIL_BACKEND": "smtp", "EMAIL_HOST": " "}, "EMAIL_HOST must name the mail server"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number, not 'smtp'"),
        ({"EMAIL_PORT": "70000"}, "EMAIL_PORT must be a port from 1 to 65535, not 70000"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS must be true or false, not 'maybe'"),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"},
         "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on"),
        ({"EMAIL_TIMEOUT": "0"}, "EMAIL_TIMEOUT must be 1 second or more, not 0"),
        ({"DEFAULT_FROM_EMAIL": "registry"}, "DEFAULT_FROM_EMAIL must be an email address"),
        ({"SITE_URL": "registry.example.org"}, "SITE_URL must begin with https:// or http://"),
    ],
)  # fmt: skip
def test_it_stops_on_a_bad_email_setting(environment, message):
    result = run_settings(SECRET_KEY="x", **environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
