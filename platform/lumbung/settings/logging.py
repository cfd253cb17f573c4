from django.core.exceptions import ImproperlyConfigured

from .env import IS_PRODUCTION, env

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str) -> str:
    """LOG_LEVEL as operators type it (`warning`, ` Info `, `warn`), as Python's logging
    wants it (`WARNING`); anything else refused naming the variable."""
    level = value.strip().upper()
    level = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)
    if level not in _LOG_LEVELS:
        raise ImproperlyConfigured(
            f"LOG_LEVEL={value!r} is not a log level: set LOG_LEVEL to one of "
            f"{', '.join(_LOG_LEVELS)} (any case)."
        )
    return level


LOG_LEVEL = _log_level(env.str("LOG_LEVEL", default="INFO"))
# One JSON object per line (production default): timestamp, level, logger, message and the
# context fields tenant, request_id, user_id, task_id, service.
LOG_JSON = env.bool("LOG_JSON", default=IS_PRODUCTION)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "lumbung.logging.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(tenant)s %(request_id)s %(task_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s %(tenant)s %(request_id)s %(user_id)s %(task_id)s %(service)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,  # ISO 8601 in UTC
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
