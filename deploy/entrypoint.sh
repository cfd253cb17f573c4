#!/usr/bin/env bash
# Container entrypoint: one image, several roles.
#
#   web              gunicorn with deploy/gunicorn.conf.py (port 8000)
#   worker           Celery worker (metrics on CELERY_METRICS_PORT, default 9808)
#   beat             Celery beat with the database scheduler (run exactly one)
#   migrate          shared schema, then every tenant schema in parallel, then the template
#                    schema new cooperatives are cloned from, then the public tenant and the
#                    apex domain (BASE_DOMAIN) if missing, so a fresh install serves its
#                    public site (sign-up, console); every step is idempotent
#   wait-db          wait until DATABASE_URL accepts connections (WAIT_FOR_DB_SECONDS)
#   manage ARGS...   any manage.py command, e.g. `manage createsuperuser`
#   <anything else>  run as given (e.g. `bash`)
#
# ENTRYPOINT_DRY_RUN=1 prints the commands instead of running them (used by the tests).
set -euo pipefail

APP_DIR="${APP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PYTHON="${PYTHON:-python}"
cd "$APP_DIR"

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-lumbung.settings}"
# Metrics of all processes of this container are summed at scrape time; the directory
# lives on the writable /tmp (an emptyDir in Kubernetes, a tmpfs in compose).
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus}"

run() {
  if [ "${ENTRYPOINT_DRY_RUN:-}" = "1" ]; then
    echo "$*"
  else
    "$@"
  fi
}

# `exec` for the long-running roles so the process gets the signals (SIGTERM on shutdown).
run_exec() {
  if [ "${ENTRYPOINT_DRY_RUN:-}" = "1" ]; then
    echo "$*"
    exit 0
  fi
  exec "$@"
}

fresh_metrics_dir() {
  [ "${ENTRYPOINT_DRY_RUN:-}" = "1" ] && return 0
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
}

role="${1:-web}"
shift || true

case "$role" in
  web)
    export LUMBUNG_SERVICE=web
    fresh_metrics_dir
    run_exec gunicorn --config "$APP_DIR/deploy/gunicorn.conf.py" "$@"
    ;;
  worker)
    export LUMBUNG_SERVICE=worker
    export CELERY_METRICS_PORT="${CELERY_METRICS_PORT:-9808}"
    fresh_metrics_dir
    run_exec celery --app lumbung worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --max-tasks-per-child "${CELERY_MAX_TASKS_PER_CHILD:-200}" \
      --queues "${CELERY_QUEUES:-celery}" \
      --hostname "celery@%h" \
      --without-mingle --task-events "$@"
    ;;
  beat)
    export LUMBUNG_SERVICE=beat
    unset PROMETHEUS_MULTIPROC_DIR
    run_exec celery --app lumbung beat \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --scheduler django_celery_beat.schedulers:DatabaseScheduler \
      --schedule /tmp/celerybeat-schedule "$@"
    ;;
  migrate)
    export LUMBUNG_SERVICE=migrate
    unset PROMETHEUS_MULTIPROC_DIR
    run "$PYTHON" manage.py migrate_schemas --shared --noinput
    run "$PYTHON" manage.py migrate_all_tenants --processes "${MIGRATE_PROCESSES:-2}" --noinput
    run "$PYTHON" manage.py template_schema_refresh
    run "$PYTHON" manage.py public_tenant_ensure
    ;;
  wait-db)
    run_exec "$PYTHON" "$APP_DIR/deploy/wait_for_db.py"
    ;;
  manage)
    unset PROMETHEUS_MULTIPROC_DIR
    run_exec "$PYTHON" manage.py "$@"
    ;;
  *)
    run_exec "$role" "$@"
    ;;
esac
