FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=bzpeer.settings.production

WORKDIR /app
# Every package from the lock, each checked against its hash (make lock).
COPY requirements/run.txt requirements/run.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/run.txt
COPY . .
# collectstatic needs settings but no real secret: a throwaway random key, kept
# in no layer (production refuses short or published keys).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=build python manage.py collectstatic --noinput

RUN useradd --create-home bzpeer
USER bzpeer
EXPOSE 8000
CMD ["sh", "-c", "gunicorn bzpeer.wsgi --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
