"""Gunicorn configuration for the web process (`entrypoint.sh web`).

Every value can be changed through the environment (see deploy/.env.example):

    GUNICORN_BIND               address to listen on             (0.0.0.0:8000)
    WEB_CONCURRENCY             worker processes                 (2 x CPUs + 1, at most 8)
    GUNICORN_THREADS            threads per worker               (4)
    GUNICORN_TIMEOUT            seconds before a stuck worker is killed (60)
    GUNICORN_GRACEFUL_TIMEOUT   seconds to finish requests on shutdown (30)
    GUNICORN_KEEPALIVE          keep-alive seconds behind the load balancer (75)
    GUNICORN_MAX_REQUESTS       recycle a worker after this many requests (1000; 0 = never)
    GUNICORN_FORWARDED_ALLOW_IPS proxies trusted for X-Forwarded-* ("*": any, as in Kubernetes)
    LOG_JSON / LOG_LEVEL        access and error logs as JSON lines, like the app's logs

Prometheus: with PROMETHEUS_MULTIPROC_DIR set, each worker writes its samples there; a
dead worker's files are marked so its live gauges disappear.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


wsgi_app = "lumbung.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 75)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files on a RAM disk: the root file system is read-only in the container.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app is loaded in each worker (no preload): database connections are never shared
# across a fork, and a new release's code is picked up by each recycled worker.
preload_app = False
# Request line, status, size, duration and the request id the app put on the response.
accesslog = "-"
errorlog = "-"


def _log_level() -> str:
    """LOG_LEVEL as operators type it (`warning`, `WARN`, ` Info `); a value that is no
    level stops the master at once with one line (before any worker boots)."""
    raw = os.environ.get("LOG_LEVEL") or "info"
    level = raw.strip().lower()
    level = {"warn": "warning", "fatal": "critical"}.get(level, level)
    if level not in ("debug", "info", "warning", "error", "critical"):
        raise SystemExit(
            f"LOG_LEVEL={raw!r} is not a log level: set LOG_LEVEL to one of "
            "DEBUG, INFO, WARNING, ERROR, CRITICAL (any case)."
        )
    return level


loglevel = _log_level()
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms host=%({host}i)s request_id=%({x-request-id}o)s'
)

_json = _bool("LOG_JSON", os.environ.get("DJANGO_ENV") == "production")
_formatter = (
    {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": True,  # ISO 8601 in UTC
        "static_fields": {"service": "web"},
    }
    if _json
    else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"default": _formatter},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


def on_starting(server) -> None:
    """Start with an empty metrics directory: files of a previous run would be summed in."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))


def post_worker_init(worker) -> None:
    """The app is loaded in this worker: keep its objects out of the garbage collector's
    full collections (``gc.freeze``; as the Celery pool processes do)."""
    import gc

    gc.freeze()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
