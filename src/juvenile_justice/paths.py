"""Where the project's non-Python files live (migrations, templates, static files)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project root (the package is installed in editable mode from ``src/``)."""


def migrations_dir(app: str) -> Path:
    """``migrations/<app>/`` at the project root."""
    return ROOT / "migrations" / app


TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
