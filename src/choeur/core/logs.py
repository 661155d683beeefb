"""Logging filters of the settings' LOGGING."""

from __future__ import annotations

import logging


class DisallowedHostWarning(logging.Filter):
    """Django logs a request with a Host header outside ALLOWED_HOSTS at ERROR with its
    traceback: internet scanners send thousands, which would flood the log and bury real
    errors. It becomes one WARNING line naming the host (truncated) and the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        host = (request.META.get("HTTP_HOST", "") if request is not None else "")[:100]
        path = (request.path if request is not None else "")[:200]
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "Request refused: Host %r not served (path %s)", (host, path)
        record.exc_info = record.exc_text = None
        record.stack_info = None
        return True
