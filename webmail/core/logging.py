"""One JSON object per line for production logs (LOG_FORMAT=json), so a log pipeline can filter on
fields such as `event` and `outbox_id` instead of parsing text.

The `extra={...}` fields of a record become top-level keys. What goes into them is the caller's
responsibility: the outbox logs ids, states and times only, never content or credentials.
"""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: Django's request logs attach the request object; its repr is method and path.
        return json.dumps(entry, default=str, ensure_ascii=False)
