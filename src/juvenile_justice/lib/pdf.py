"""The one PDF renderer (issue 5): Jinja templates under ``templates/documents/`` rendered by WeasyPrint.

- **Escaping.** Templates are autoescaped and undefined names are errors, so case data (titles,
  summaries, names) is always text in the document, never markup.
- **Fetching.** WeasyPrint fetches local files and network URLs by default (stack-notes §2: a
  ``<link rel=attachment href=file:…>`` would embed any file). :class:`AssetFetcher` allows only files
  under ``templates/documents/assets/`` (resolved, so no ``..`` or symlink leads out) and ``data:``
  images; everything else is refused and recorded. No network, no redirects.
- **Fonts.** Named explicitly (Noto Serif/Sans CJK SC, Debian's ``fonts-noto-cjk``): generic
  families pick Japanese faces. Fonts come from fontconfig, never through the fetcher.
- **Isolation.** WeasyPrint runs in a pool of worker processes, outside the service's event loop, each
  with an address-space limit (``MEMORY_LIMIT_BYTES``) and each render with a time limit
  (``TIME_LIMIT_SECONDS``); a worker that overruns is killed with its pool, which is then rebuilt.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import mimetypes
import multiprocessing
import os
import resource
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2

from juvenile_justice.paths import TEMPLATES_DIR

DOCUMENTS_DIR = TEMPLATES_DIR / "documents"
ASSETS_DIR = DOCUMENTS_DIR / "assets"
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024
"""Address-space limit of a render worker (WeasyPrint with the CJK fonts needs about 300 MB)."""
TIME_LIMIT_SECONDS = 60.0
"""A render taking longer is abandoned (its worker killed)."""
WORKERS = 2
_DATA_IMAGE_TYPES = ("image/png", "image/jpeg")


class RenderError(RuntimeError):
    """A document could not be rendered (a template error, a time or memory limit)."""


@dataclass
class FetchLog:
    """What the renderer asked for: ``allowed`` asset files, ``refused`` everything else; and how many
    ``pages`` the document has."""

    allowed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    pages: int = 0


def asset_path(url: str) -> Path | None:
    """The asset file a ``file:`` URL names, or None when it is not a regular file under
    :data:`ASSETS_DIR` once every ``..`` and symlink is resolved."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        return None
    try:
        path = Path(unquote(parts.path)).resolve(strict=True)
        root = ASSETS_DIR.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _allowed_data_url(url: str) -> bool:
    head = url[5:].split(",", 1)[0].lower()
    return url.startswith("data:") and head.split(";")[0] in _DATA_IMAGE_TYPES and head.endswith(";base64")


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        """Allows the project's own document assets and inline raster images; refuses the rest."""

        def __init__(self, log: FetchLog) -> None:
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
            self.log = log

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = asset_path(url)
            if path is not None:
                self.log.allowed.append(path.name)
                media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media})
            if _allowed_data_url(url):
                payload = url.split(",", 1)[1]
                media = url[5:].split(";", 1)[0].lower()
                return URLFetcherResponse(url, body=base64.b64decode(payload), headers={"Content-Type": media})
            self.log.refused.append(url[:200])
            raise ValueError("refused by the document renderer")

    return AssetFetcher


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(DOCUMENTS_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = lambda name: (ASSETS_DIR / name).resolve().as_uri()
    env.filters["cn_date"] = chinese_date
    return env


_DIGITS = "〇一二三四五六七八九"


def chinese_date(value: date | str) -> str:
    """The date as official documents write it: 2021-03-15 → 二〇二一年三月十五日 (GB/T 9704-2012 7.3.5.3).
    Takes a date or its ``YYYY-MM-DD`` text (document content is stored as JSON)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)

    def number(n: int) -> str:
        if n < 10:
            return _DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")

    year = "".join(_DIGITS[int(d)] for d in f"{value.year:04d}")
    return f"{year}年{number(value.month)}月{number(value.day)}日"


_ENV = _environment()


def render_html(template: str, context: dict[str, Any]) -> str:
    """The document's HTML from ``templates/documents/<template>`` (autoescaped).

    Raises:
        RenderError: no such template, or a name the template uses is missing from ``context``.
    """
    try:
        return _ENV.get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template}: {type(exc).__name__}: {exc}") from None


def html_to_pdf(html: str) -> tuple[bytes, FetchLog]:
    """Render HTML to PDF bytes in this process, with the asset-only fetcher; returns the fetch log too."""
    from weasyprint import HTML

    log = FetchLog()
    fetcher = _fetcher_class()(log)
    document = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher).render()
    log.pages = len(document.pages)
    pdf = document.write_pdf(attachments=[], pdf_tags=False)
    assert isinstance(pdf, bytes)
    return pdf, log


def _limit_worker() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    os.nice(5)


class Renderer:
    """Renders documents in worker processes (created on first use, rebuilt after a failure)."""

    def __init__(self, workers: int = WORKERS, time_limit: float = TIME_LIMIT_SECONDS) -> None:
        self.workers = workers
        self.time_limit = time_limit
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None

    def _get_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_worker,
            )
        return self._pool

    def _discard_pool(self, pool: concurrent.futures.ProcessPoolExecutor | None = None) -> None:
        """Kill the workers of ``pool`` (default: the current one); a new pool is made on next use."""
        pool = pool or self._pool
        if pool is self._pool:
            self._pool = None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=False)  # what it still held fails as BrokenProcessPool

    async def render(self, template: str, context: dict[str, Any]) -> tuple[bytes, FetchLog]:
        """The PDF of ``template`` with ``context`` and what its renderer fetched.

        Raises:
            RenderError: a template error, the time limit, or a worker that died (memory limit).
        """
        html = render_html(template, context)
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:  # a semaphore belongs to one event loop
            self._slots, self._slots_loop = asyncio.Semaphore(self.workers), loop
        async with self._slots:  # the time limit counts from a free worker, not from the queue
            return await self._render(template, html)

    async def _render(self, template: str, html: str) -> tuple[bytes, FetchLog]:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._get_pool()
            future = loop.run_in_executor(pool, html_to_pdf, html)
            try:
                return await asyncio.wait_for(future, self.time_limit)
            except TimeoutError:
                self._discard_pool(pool)
                raise RenderError(f"rendering {template} took longer than {self.time_limit:.0f} s") from None
            except (concurrent.futures.process.BrokenProcessPool, MemoryError) as exc:
                # Another document's overrun killed the pool under this one, or this one ran out of
                # memory: a second try in a fresh pool tells the two apart.
                self._discard_pool(pool)
                if attempt == 2:
                    raise RenderError(f"rendering {template} failed: {type(exc).__name__}") from None
            except Exception as exc:  # WeasyPrint's own failure on this document
                raise RenderError(f"rendering {template} failed: {type(exc).__name__}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the workers at once (a render still running is abandoned: its document stays pending)."""
        self._discard_pool()
