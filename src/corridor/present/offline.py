"""Pages that open with no network: the scripts and stylesheets a map links, written into the page.

A map page links Leaflet, its plugins, jQuery, Bootstrap and Font Awesome from
public CDNs. :func:`inline_assets` replaces each link by the file itself, from
the copies shipped in ``assets/`` (``assets/manifest.json`` names each address,
the npm package and version it comes from, its licence and its hash; they are
copied from the packages pinned in the repository's ``package-lock.json`` by
``scripts/vendor-map-assets``, never fetched at run time). Images and fonts a
stylesheet refers to are written into it as data URIs. Only the basemap's tiles
still need the network: offline, a map shows the network, zones and markers on
a blank background.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any

from corridor.errors import OutputError

__all__ = ["ASSETS", "inline_assets", "inline_file", "linked_assets"]

#: the shipped copies of what the maps link
ASSETS = Path(__file__).with_name("assets")
_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')
_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_MEDIA = {".png": "image/png", ".woff2": "font/woff2", ".svg": "image/svg+xml", ".gif": "image/gif"}


@functools.cache
def linked_assets() -> dict[str, Any]:
    """The addresses a map may link, each with its local file, package and hash (``assets/manifest.json``)."""
    return dict(json.loads((ASSETS / "manifest.json").read_text(encoding="utf-8"))["linked"])


def inline_assets(html: str) -> str:
    """A map page with every linked script and stylesheet written into it, so it opens with no network.

    Raises
    ------
    OutputError
        The page links a script or stylesheet with no shipped copy (the page
        would not work offline).
    """
    html = _SCRIPT.sub(lambda m: f"<script>{_script(m.group(1))}</script>", html)
    html = _STYLESHEET.sub(lambda m: f"<style>{_stylesheet(m.group(1))}</style>", html)
    left = re.search(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)
    if left:
        raise OutputError(
            "the map links a file with no local copy, so it cannot open offline",
            value=left.group(1),
            allowed="the addresses in corridor/present/assets/manifest.json",
        )
    return html


def inline_file(path: str | Path) -> None:
    """Rewrite a written map page in place with its linked files inlined (see :func:`inline_assets`)."""
    page = Path(path)
    page.write_text(inline_assets(page.read_text(encoding="utf-8")), encoding="utf-8")


@functools.cache
def _script(url: str) -> str:
    text = _file(url).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")  # the same script; the page's parser does not end it early


@functools.cache
def _stylesheet(url: str) -> str:
    path = _file(url)
    return _URL.sub(lambda m: f"url({_data_uri(path.parent, m.group(2))})", path.read_text(encoding="utf-8"))


def _file(url: str) -> Path:
    entry = linked_assets().get(url)
    if entry is None:
        raise OutputError(
            "the map links a file with no local copy, so it cannot open offline",
            value=url,
            allowed="the addresses in corridor/present/assets/manifest.json",
        )
    return ASSETS / entry["file"]


def _data_uri(folder: Path, ref: str) -> str:
    """What a stylesheet's ``url(ref)`` becomes: the shipped file as a data URI.

    A reference to a file not shipped (a font in a format every browser that
    runs Leaflet reads in WOFF2 instead) becomes an empty data URI, which no
    browser fetches.
    """
    if ref.startswith(("data:", "#")):
        return ref
    path = (folder / ref.split("?")[0].split("#")[0]).resolve()
    if not path.is_file() or ASSETS.resolve() not in path.parents or path.suffix not in _MEDIA:
        return "data:,"
    return f"data:{_MEDIA[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
