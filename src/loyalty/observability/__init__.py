"""Metrics, traces and log context for the API and the worker, wired in a few lines each.

- :mod:`.business` names the business series and derives them from activity outcomes.
- :mod:`.interceptor` is the worker's activity interceptor: log context, step latency, business.
- :mod:`.gauges` refreshes the open-work gauges from Temporal visibility.
- :mod:`.worker_telemetry` / :mod:`.api_telemetry` bundle what each process turns on.
- :mod:`.tracing` is OpenTelemetry: Temporal's interceptor, FastAPI, SQLAlchemy, httpx.

Nothing here runs inside a workflow: the series come from activities and from
visibility, so workflow code (and its replay) is untouched.
"""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from loyalty.config import Settings


def secret_values(settings: Settings) -> list[str]:
    """Every secret value in ``settings``, for the log redactor to cut out wherever it appears.

    Secret fields are found by type (``SecretStr``), so a secret added to the
    settings later is covered without touching this; the database password
    rides inside ``DATABASE_URL``.
    """
    values = [
        value.get_secret_value()
        for value in (getattr(settings, name) for name in type(settings).model_fields)
        if isinstance(value, SecretStr)
    ]
    password = make_url(settings.database_url).password
    if password:
        values.append(str(password))
    return [v for v in values if v]
