#!/usr/bin/env bash
# Starts a Celery worker, loads the bundled sample data (the worker then
# computes trust), and serves the site until Ctrl-C, which stops both.
set -euo pipefail
PORT="${1:-${PORT:-8000}}"
PY=.venv/bin/python
mkdir -p .run

if [ -f .run/worker.pid ] && kill -0 "$(cat .run/worker.pid)" 2>/dev/null; then
    kill "$(cat .run/worker.pid)" 2>/dev/null || true
    sleep 1
fi
.venv/bin/celery -A bzpeer worker --loglevel=INFO --concurrency=2 \
    --logfile=.run/worker.log --pidfile=.run/worker.pid &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM

$PY manage.py load_openalex_snapshot works/sample_data/snapshot --sample
echo "Celery worker running (pid $WORKER, log .run/worker.log)."
echo
echo "  BZPEER is running at http://127.0.0.1:${PORT}/"
echo "  Reference profile:   http://127.0.0.1:${PORT}/researchers/$($PY manage.py shell -v 0 -c 'from profiles.models import Researcher as R; r=R.objects.filter(display_name="Bingxuan Wang").first(); print(r.openalex_id if r else "")' 2>/dev/null)/"
echo
$PY manage.py runserver "127.0.0.1:${PORT}" --noreload
