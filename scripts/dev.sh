#!/usr/bin/env bash
# make dev: the development server (DEBUG on, autoreload, static files from
# the app folders) with a Celery worker; loads the sample unless SAMPLE=0.
set -euo pipefail
PORT="${1:-${PORT:-8000}}"
SAMPLE="${SAMPLE:-1}"
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=bzpeer.settings.local
mkdir -p .run

if [ -f .run/worker.pid ] && kill -0 "$(cat .run/worker.pid)" 2>/dev/null; then
    kill "$(cat .run/worker.pid)" 2>/dev/null || true
fi
rm -f .run/worker.pid
.venv/bin/celery -A bzpeer worker --loglevel=INFO --concurrency=2 \
    --logfile=.run/worker.log --pidfile=.run/worker.pid &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM

if [ "$SAMPLE" != "0" ]; then
    $PY manage.py load_openalex_snapshot works/sample_data/snapshot --sample
fi
echo "Development server (DEBUG on) at http://127.0.0.1:${PORT}/; worker log .run/worker.log"
$PY manage.py runserver "127.0.0.1:${PORT}"
