import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from config.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test server serves static files from the apps' folders; no collectstatic needed.
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("whitenoise")]  # noqa: F405

# Every test empties the cache (tests/conftest.py), and Redis empties a whole database: with a
# REDIS_URL, each pytest-xdist worker (PYTEST_XDIST_WORKER gw0, gw1, ...) takes a database of
# its own, the URL's number plus the worker's.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker:  # noqa: F405
    _address = urlsplit(REDIS_URL)  # noqa: F405
    _database = int(_address.path.strip("/") or 0) + int(_worker.removeprefix("gw"))
    CACHES["default"]["LOCATION"] = urlunsplit(_address._replace(path=f"/{_database}"))  # noqa: F405
