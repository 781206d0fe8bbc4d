"""Piccolo's configuration for its CLI run from the project root; the service uses the same module."""

from juvenile_justice.db_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
