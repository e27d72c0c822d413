"""Logging helpers: secrets never reach a log line."""

from __future__ import annotations

import logging
import re

__all__ = ["RedactSecretsFilter"]

_PATTERNS = [
    re.compile(
        r"(?i)(password|passwd|secret|token|authorization|api[_-]?key)(\"?\s*[:=]\s*\"?)[^\s\",}]+"
    ),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"\bacc_[A-Za-z0-9_-]{20,}\b"),
]


class RedactSecretsFilter(logging.Filter):
    """Replace passwords, tokens and private keys in log records by ``[REDACTED]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern in _PATTERNS:
            if pattern.groups >= 2:
                redacted = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", redacted)
            else:
                redacted = pattern.sub("[REDACTED]", redacted)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True
