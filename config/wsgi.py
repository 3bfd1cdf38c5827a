import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.collector import start_up_frozen

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()

# Import every view now rather than on the first request each worker serves: the
# dashboard's figures bring in matplotlib, a second or so.
import_module(settings.ROOT_URLCONF)

start_up_frozen()
