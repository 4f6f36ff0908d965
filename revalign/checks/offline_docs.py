"""Data Docs that open without the internet.

Great Expectations' Data Docs pages load Bootstrap, jQuery, bootstrap-table, Font
Awesome, Vega and their kin from CDNs (unpkg, jsDelivr, cdnjs), and its logo from S3:
without the internet the index is an unstyled list and the pages' tables never render.
revalign ships those files with the site instead:

- ``make install`` runs ``python -m revalign.checks.offline_docs`` (:func:`fetch`), which
  downloads each library's own npm package (the versions GX's templates name, each
  tarball checked against the registry's SHA-512 written below) from the npm registry
  into ``.revalign/tools/web-assets`` (``WEB_ASSETS``). Nothing downloads at run time.
- after every Data Docs build, :func:`make_offline` copies the files the pages use
  into the site's ``static/vendor/`` and points every page at them (relative links, so
  the site opens from ``file://``, from ``revalign docs serve`` and from any web server).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import shutil
import sys
import tarfile
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

from revalign import settings

log = logging.getLogger(__name__)

WEB_ASSETS = settings.PROJECT_ROOT / ".revalign" / "tools" / "web-assets"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    keep: tuple[str, ...]  # folders or files of the package the pages use

    @property
    def folder(self) -> str:
        return f"{self.name.replace('/', '__')}@{self.version}"

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


PACKAGES = (
    Package("jquery", "3.7.1",
            "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
            ("dist/jquery.min.js",)),
    Package("popper.js", "1.12.9",
            "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
            ("dist/umd/popper.min.js",)),
    Package("bootstrap", "4.3.1",
            "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
            ("dist/css/bootstrap.min.css", "dist/js/bootstrap.min.js")),
    Package("bootstrap-table", "1.19.1",
            "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
            ("dist/bootstrap-table.min.css", "dist/bootstrap-table.min.js",
             "dist/extensions/filter-control")),
    Package("bootstrap-datepicker", "1.9.0",
            "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
            ("dist/css/bootstrap-datepicker.min.css", "dist/js/bootstrap-datepicker.min.js")),
    Package("@fortawesome/fontawesome-free", "6.6.0",
            "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
            ("css/all.min.css", "webfonts")),
    Package("@forevolve/bootstrap-dark", "1.1.0",
            "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
            ("dist/css/bootstrap-prefers-dark.css",)),
    Package("vega", "5.33.1",
            "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
            ("build/vega.min.js",)),
    Package("vega-lite", "5.23.0",
            "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
            ("build/vega-lite.min.js",)),
    Package("vega-embed", "6.29.0",
            "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
            ("build/vega-embed.min.js",)),
)  # fmt: skip

_BY_NAME = {p.name: p for p in PACKAGES}


def _local(name: str, path: str) -> str:
    """A file of a package, as the site's vendor folder holds it."""
    return f"{_BY_NAME[name].folder}/{path}"


#: Each address GX's templates load, and the package file that replaces it. (GX names
#: bootstrap-table 1.19.0 for one stylesheet and 1.19.1 for the rest: 1.19.1 serves both.)
REPLACED = {
    "https://code.jquery.com/jquery-3.7.1.min.js": _local("jquery", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": _local(
        "popper.js", "dist/umd/popper.min.js"
    ),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": _local(
        "bootstrap", "dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": _local(
        "bootstrap", "dist/js/bootstrap.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": _local(
        "bootstrap-table", "dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": _local(
        "bootstrap-table", "dist/bootstrap-table.min.js"
    ),
    **{
        f"https://unpkg.com/bootstrap-table@{version}/dist/extensions/filter-control/{file}": (
            _local("bootstrap-table", f"dist/extensions/filter-control/{file}")
        )
        for version in ("1.19.0", "1.19.1")
        for file in (
            "bootstrap-table-filter-control.css",
            "bootstrap-table-filter-control.min.css",
            "bootstrap-table-filter-control.min.js",
        )
    },
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": _local(
        "bootstrap-datepicker", "dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": _local(
        "bootstrap-datepicker", "dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": _local(
        "@fortawesome/fontawesome-free", "css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": _local(
        "@forevolve/bootstrap-dark", "dist/css/bootstrap-prefers-dark.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": _local("vega", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": _local("vega-lite", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": _local("vega-embed", "build/vega-embed.min.js"),
}

#: GX's logo on S3 (with a cache-busting query): the site's own copy.
_GX_IMAGES = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/([\w.-]+)(\?[^\"']*)?"
)
_URLS = re.compile("|".join(re.escape(url) for url in sorted(REPLACED, key=len, reverse=True)))
# GX links the favicon one level short on pages of run names with a slash (ours do)
_FAVICON = re.compile(r'href="(\.\./)*static/images/favicon\.ico"')
# SRI hashes and crossorigin name the CDN's copies; a file: page cannot check them anyway
_SRI = re.compile(r'\s+(integrity="[^"]*"|crossorigin="[^"]*")')


# --- install time ----------------------------------------------------------------------


def fetch(into: Path = WEB_ASSETS) -> list[str]:
    """Download and unpack every package not there yet; returns those fetched."""
    fetched = []
    for package in PACKAGES:
        target = into / package.folder
        if (target / ".complete").exists():
            continue
        with urllib.request.urlopen(package.tarball, timeout=120) as response:
            data = response.read()
        algorithm, expected = package.integrity.split("-", 1)
        if b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
            raise RuntimeError(f"{package.tarball}: its {algorithm} is not the one pinned")
        if target.exists():
            shutil.rmtree(target)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                inside = member.name.split("/", 1)[-1]  # tarballs hold package/<path>
                if member.isfile() and any(
                    inside == keep or inside.startswith(keep + "/") for keep in package.keep
                ):
                    path = target / inside
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(archive.extractfile(member).read())
        (target / ".complete").write_text(package.integrity)
        fetched.append(f"{package.name}@{package.version}")
    return fetched


def available(assets: Path = WEB_ASSETS) -> bool:
    return all((assets / p.folder / ".complete").exists() for p in PACKAGES)


# --- after each Data Docs build ----------------------------------------------------------


def make_offline(site: Path, assets: Path = WEB_ASSETS, since: float = 0) -> int:
    """Point every page of the Data Docs site (written ``since``, a time.time()) at its
    own copies; the pages changed.

    Without the fetched assets the pages keep their CDN links (they still open with
    the internet) and a warning says how to get them.
    """
    if not available(assets):
        log.warning(
            "Data Docs keep their CDN links (they need the internet): the web assets are "
            "not installed in %s; run make install",
            assets,
        )
        return 0
    vendor = site / "static" / "vendor"
    for package in PACKAGES:
        if not (vendor / package.folder / ".complete").exists():
            shutil.copytree(assets / package.folder, vendor / package.folder, dirs_exist_ok=True)
    changed = 0
    for page in site.rglob("*.html"):
        if page.stat().st_mtime < since:
            continue  # an earlier run's page, made offline then
        text = page.read_text(encoding="utf-8")
        rewritten = _offline(text, up="../" * (len(page.relative_to(site).parts) - 1))
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
            changed += 1
    return changed


def _offline(page: str, up: str) -> str:
    """A page's CDN links made relative links into the site (``up`` leads to its root)."""
    page = _URLS.sub(lambda m: f"{up}static/vendor/{REPLACED[m.group(0)]}", page)
    page = _GX_IMAGES.sub(lambda m: f"{up}static/images/{m.group(1)}", page)
    page = _FAVICON.sub(f'href="{up}static/images/favicon.ico"', page)
    return _SRI.sub("", page)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    done = fetch()
    print(
        f"web assets for offline Data Docs: {', '.join(done)} fetched into {WEB_ASSETS}"
        if done
        else f"web assets for offline Data Docs: up to date in {WEB_ASSETS}",
        file=sys.stderr,
    )
