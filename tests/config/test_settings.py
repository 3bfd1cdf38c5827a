"""Settings come from the environment and stop start-up on a bad value."""

import os
import subprocess
import sys

import pytest

SHOW_DATABASE = (
    "import django; django.setup(); from django.conf import settings; "
    "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d.get('OPTIONS', {}))"
)


def run_settings(code: str = SHOW_DATABASE, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", **environment}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_it_uses_an_embedded_sqlite_file_without_database_url():
    result = run_settings(SECRET_KEY="x")

    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "registry.sqlite3" in result.stdout
    assert "journal_mode=WAL" in result.stdout and "IMMEDIATE" in result.stdout


def test_it_reads_postgresql_from_database_url():
    result = run_settings(SECRET_KEY="x", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("django.db.backends.postgresql x")


def test_it_reads_the_lifetime_of_api_tokens_from_api_token_ttl_days():
    show = "import django; django.setup(); from knox.settings import knox_settings as k; "
    result = run_settings(show + "print(k.TOKEN_TTL.days)", SECRET_KEY="x", API_TOKEN_TTL_DAYS="7")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "7"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"SECRET_KEY": "x", "DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"SECRET_KEY": "x", "ALLOWED_HOSTS": "a,,b"}, "ALLOWED_HOSTS has an empty entry"),
        ({"SECRET_KEY": "x", "DATABASE_URL": "nonsense://"}, "DATABASE_URL is not a database"),
        ({"SECRET_KEY": "x", "DB_CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://h/d"},
         "DB_CONN_MAX_AGE must be a whole number"),
        ({"SECRET_KEY": "x", "API_TOKEN_TTL_DAYS": "0"}, "API_TOKEN_TTL_DAYS must be 1 or more"),
        ({"SECRET_KEY": "x", "API_TOKEN_TTL_DAYS": "a month"},
         "API_TOKEN_TTL_DAYS must be a whole number"),
        ({"SECRET_KEY": "x", "LOGIN_FAILURES_PER_IP_PER_HOUR": "-1"},
         "LOGIN_FAILURES_PER_IP_PER_HOUR must be 0 (off) or more"),
    ],
)  # fmt: skip
def test_it_stops_on_a_bad_setting(environment, message):
    result = run_settings(**environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
