# The registry's web image: gunicorn serves config.wsgi with the production settings,
# whitenoise serves the static files collected here at build time.
# docker-compose.yml runs it with PostgreSQL and Redis; see docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# The pinned dependencies first, so that a code change does not reinstall them. The lock's
# local --extra-index-url and --find-links lines do not exist here; pip warns and uses PyPI.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic only reads settings: this key signs nothing and is not in the final environment.
RUN SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput

# The code stays owned by root: the application cannot change itself.
RUN useradd --system --uid 10001 --user-group --no-create-home registry
USER registry

EXPOSE 8000
# gunicorn binds 0.0.0.0:$PORT and starts $WEB_CONCURRENCY workers; config/gunicorn.py
# keeps query strings out of the access log. No control socket: the container is managed
# from outside, and the user has no home directory to put it in.
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn", "--no-control-socket"]
