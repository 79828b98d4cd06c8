# MCU Desk production image: gunicorn by default; the same image runs the Celery worker and beat
# (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Editable: one copy of the code, in /app, where manage.py, templates and static live.
# collectstatic needs settings to load; the key is thrown away with this build step.
RUN pip install --no-deps -e . \
    && DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnop \
       ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

# Code and collected static stay root-owned, read-only for the app. var/ itself is writable (beat
# schedule) and var/media too: a fresh named volume mounted there copies this ownership.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mcu \
    && mkdir -p /app/var/media \
    && chown mcu:mcu /app/var /app/var/media
USER mcu

EXPOSE 8000
CMD ["gunicorn", "mcu.wsgi:application", "--bind=0.0.0.0:8000", "--workers=3", "--access-logfile=-"]
