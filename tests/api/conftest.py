"""API tests run the real app against a real worker, Temporal and PostgreSQL."""

from tests.support.api import api, api_factory

__all__ = ["api", "api_factory"]
