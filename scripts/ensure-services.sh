#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on the addresses the settings use,
# starting the local servers when they are installed but stopped.
set -euo pipefail

pg_answers() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432))
except OSError:
    sys.exit(1)
PY
}
redis_answers() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

if ! pg_answers; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        echo "Starting PostgreSQL..."
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    else
        echo "PostgreSQL does not answer on 127.0.0.1:5432 and is not installed here." >&2
        echo "Install it (apt-get install postgresql) or set DATABASE_URL." >&2
        exit 1
    fi
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    pg_answers || { echo "PostgreSQL did not come up" >&2; exit 1; }
fi

if ! redis_answers; then
    if command -v redis-server >/dev/null; then
        echo "Starting Redis..."
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    else
        echo "Redis does not answer on 127.0.0.1:6379 and is not installed here." >&2
        echo "Install it (apt-get install redis-server) or set REDIS_URL." >&2
        exit 1
    fi
    for _ in $(seq 1 30); do redis_answers && break; sleep 1; done
    redis_answers || { echo "Redis did not come up" >&2; exit 1; }
fi
echo "PostgreSQL and Redis answer."
