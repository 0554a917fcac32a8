"""Logging for the CLI's commands: plain text by default, one JSON object a line on request
(`EVENTFOLD_LOG_FORMAT=json`), each record carrying the correlation id of the request it was written
for."""

import logging

from pythonjsonlogger.json import JsonFormatter

from app import correlation
from app.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "correlation_id"]


class WithCorrelationId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation.current.get()
        return True


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(WithCorrelationId())
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                exc_info_as_array=True,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
