"""Long-lived caching for fingerprinted static files.

A file whose name carries a hash of its content (``app.3f9a2b1c.css``, as webpack,
Flask-Assets or Django's manifest storage name them) never changes under that name: new
content gets a new name. So the write stage records such a file of a static folder with
:data:`IMMUTABLE` as its ``Cache-Control``, and every host config and ``PublicFiles``
replay it. Other static files keep the caching the app sends them with
(``SEND_FILE_MAX_AGE_DEFAULT``, ``get_send_file_max_age``), which is how a user asks for
long-lived caching of files without a fingerprint.

A name is fingerprinted when :data:`DEFAULT_PATTERN` (or ``fingerprint`` in
``[tool.sitec.deploy]``, a regular expression; ``""`` turns it off) is found in it: a part
of eight or more lowercase hex digits, at least one of them a letter, between dots before
the extension. The letter keeps dates (``report.20240101.pdf``) out; a fingerprint of
digits only then gets the app's caching, which is safe.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import unquote

DEFAULT_PATTERN = r"\.(?=[0-9]*[a-f])[0-9a-f]{8,}(?:\.[0-9A-Za-z]+)+$"
#: What a browser or CDN may keep for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"


def is_fingerprinted(url: str, pattern: str) -> bool:
    """Whether the last segment of ``url`` (decoded) matches ``pattern``."""
    if not pattern:
        return False
    name = unquote(url.rsplit("/", 1)[-1])
    return re.search(pattern, name) is not None


def long_lived(
    url: str, headers: t.Iterable[tuple[str, str]], pattern: str
) -> list[tuple[str, str]]:
    """``headers`` with ``Cache-Control`` set to :data:`IMMUTABLE` when ``url`` names a
    fingerprinted file, else unchanged."""
    if not is_fingerprinted(url, pattern):
        return list(headers)
    kept = [(name, value) for name, value in headers if name.lower() != "cache-control"]
    return [*kept, ("Cache-Control", IMMUTABLE)]
