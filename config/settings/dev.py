"""Local development: `make run`. DEBUG on unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from config.settings.base import *  # noqa: E402,F403

# runserver serves static files from the apps' folders; no collectstatic needed.
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("whitenoise")]  # noqa: F405
