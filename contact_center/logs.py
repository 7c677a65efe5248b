"""JSON log lines on stderr: one object per line, easy for any log shipper."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable

# A token in a URL path (the PBX hook's) or a query string (?token=, ?access_token=, ?key=).
_URL_SECRETS = re.compile(r"(/api/v1/cti/)[^/\s\"'?#]+|((?:token|access_token|key|secret|password)=)[^&\s\"']+",
                          re.IGNORECASE)


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """*text* with every known secret and every token-shaped URL part replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _URL_SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; secrets (configured ones and tokens in URLs) are masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 4)

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_secrets(record.getMessage(), self._secrets),
        }
        if record.exc_info:
            doc["exc"] = mask_secrets(self.formatException(record.exc_info), self._secrets)
        return json.dumps(doc, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr as JSON, with *secrets* (hook tokens, passwords) masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
