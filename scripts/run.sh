#!/usr/bin/env bash
# make run: BZPEER served as a product on this machine (settings mode
# bzpeer.settings.serve: DEBUG off, the designed error pages, hashed and
# compressed static files) by gunicorn on 127.0.0.1, with a Celery worker and
# Celery beat beside it. Loads the bundled sample data unless SAMPLE=0.
# Ctrl-C stops everything it started.
set -euo pipefail
PORT="${1:-${PORT:-8000}}"
SAMPLE="${SAMPLE:-1}"
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=bzpeer.settings.serve
mkdir -p .run

$PY scripts/ensure_secret_key.py
$PY manage.py collectstatic --noinput -v 0

# A worker or beat left by an earlier run that was not stopped cleanly.
for name in worker beat; do
    if [ -f ".run/$name.pid" ] && kill -0 "$(cat ".run/$name.pid")" 2>/dev/null; then
        kill "$(cat ".run/$name.pid")" 2>/dev/null || true
    fi
    rm -f ".run/$name.pid"
done

.venv/bin/celery -A bzpeer worker --loglevel=INFO --concurrency=2 \
    --logfile=.run/worker.log --pidfile=.run/worker.pid &
WORKER=$!
.venv/bin/celery -A bzpeer beat --loglevel=INFO --logfile=.run/beat.log \
    --pidfile=.run/beat.pid --schedule=.run/celerybeat-schedule &
BEAT=$!
stop() {
    kill "$WORKER" "$BEAT" 2>/dev/null || true
    wait "$WORKER" "$BEAT" 2>/dev/null || true
}
trap stop EXIT INT TERM

# Once real data is held and the sample was removed (remove_sample_data),
# the sample is not brought back.
REAL_DATA_ONLY=$($PY manage.py shell -v 0 -c 'from works.selectors import sample_data_was_removed as removed; print(int(removed()))' 2>/dev/null || echo 0)
if [ "$SAMPLE" = "0" ]; then
    echo "Sample data left out (SAMPLE=0)."
elif [ "$REAL_DATA_ONLY" = "1" ]; then
    echo "Sample data not loaded: real data is held and the sample was removed."
else
    $PY manage.py load_openalex_snapshot works/sample_data/snapshot --sample
fi
REFERENCE=$($PY manage.py shell -v 0 -c 'from profiles.models import Researcher as R; r=R.objects.filter(display_name="Bingxuan Wang", is_sample=True).first(); print(r.openalex_id if r else "")' 2>/dev/null || true)
echo "Celery worker (log .run/worker.log) and beat (log .run/beat.log) running."
echo
echo "  BZPEER is running at http://127.0.0.1:${PORT}/"
if [ -n "$REFERENCE" ]; then
    echo "  Reference profile:   http://127.0.0.1:${PORT}/researchers/${REFERENCE}/"
fi
echo
.venv/bin/gunicorn bzpeer.wsgi --bind "127.0.0.1:${PORT}" --workers 2 \
    --access-logfile .run/access.log --error-logfile -
