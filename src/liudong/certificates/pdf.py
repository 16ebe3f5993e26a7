"""Rendering certificates to PDF with WeasyPrint, finding the code in a PDF again, and saying
clearly what is missing when this machine cannot render.

WeasyPrint needs Pango (through cffi) and, for Chinese, a CJK font known to fontconfig; the
templates ask for Noto Serif CJK SC and Noto Sans CJK SC. ``import weasyprint`` raises
``OSError`` when Pango is missing, so it is imported here only when a certificate is rendered,
never when the app loads: the rest of the site keeps working without these libraries.

The code goes into the file three ways, each readable from the bytes alone:

- the PDF's ``/ID`` (its first element is the code, as a literal string in the trailer or the
  cross-reference stream's dictionary, which are never compressed);
- the document's keywords, ``liudong-certificate:<code>`` (inside a compressed object stream);
- the page itself, printed, with the address of the verification page.

:func:`find_code` tries the uncompressed bytes first, then the decompressed streams.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import shutil
import subprocess  # fc-list with fixed arguments, no shell
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from liudong.certificates import codes
from liudong.site.text import join_clauses, join_list

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
PANGO_LIBRARIES = {
    "pango-1.0": ("libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.dylib"),
    "pangoft2-1.0": ("libpangoft2-1.0.so.0", "libpangoft2-1.0-0.dll", "libpangoft2-1.0.dylib"),
}
FIX = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk"
KEYWORD = "liudong-certificate:"
PDF_MAGIC = b"%PDF-"
_ID = re.compile(rb"/ID\s*\[\s*\((" + codes.PATTERN.pattern.encode() + rb")\)")
_KEYWORD = re.compile(re.escape(KEYWORD.encode()) + rb"(" + codes.PATTERN.pattern.encode() + rb")")
_STREAM = re.compile(rb"stream\r?\n")
_BASE_FONT = re.compile(rb"/BaseFont\s*/([^\s/<>\[\]()]+)")
FC_LIST_TIMEOUT_SECONDS = 10
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # a zip bomb in an upload stops here


class RendererUnavailableError(RuntimeError):
    """This machine cannot render certificates; the message says what is missing and the fix."""


@dataclass(frozen=True)
class Readiness:
    """Whether certificates can be rendered here, and if not, what is missing and the fix."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        if self.ok:
            return _("可以生成证明（WeasyPrint、Pango 和 Noto CJK 字体齐备）")
        return _("无法生成证明：%(problems)s。请由系统管理员安装：%(fix)s") % {
            "problems": join_clauses(self.problems),
            "fix": FIX,
        }


def _library_loads(names: tuple[str, ...], short: str) -> bool:
    candidates = [*names]
    found = ctypes.util.find_library(short)
    if found:
        candidates.insert(0, found)
    for name in candidates:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def _cjk_families() -> set[str] | None:
    """The font families fontconfig knows for Chinese, or None without ``fc-list``."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(  # noqa: S603  # fixed arguments, no shell
            [fc_list, ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=FC_LIST_TIMEOUT_SECONDS,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def _probe() -> tuple[str, ...]:
    problems = []
    missing = [
        short for short, names in PANGO_LIBRARIES.items() if not _library_loads(names, short)
    ]
    if missing:
        problems.append(
            _("缺少 WeasyPrint 所需的系统库 %(libraries)s") % {"libraries": join_list(missing)}
        )
    families = _cjk_families()
    if families is None:
        problems.append(_("找不到 fontconfig 的 fc-list，无法确认中文字体"))
    else:
        absent = [font for font in FONTS if font not in families]
        if absent:
            problems.append(_("缺少中文字体 %(fonts)s") % {"fonts": join_list(absent)})
    return tuple(problems)


def readiness() -> Readiness:
    """Whether Pango and the Noto CJK fonts are present: the libraries are loaded and
    ``fc-list`` is asked (a few milliseconds), without importing WeasyPrint. Probed afresh
    each time, so that installing the fonts needs no restart."""
    return Readiness(_probe())


def _weasyprint() -> Any:
    try:
        import weasyprint  # type: ignore[import-untyped]  # lazily: needs Pango, maybe missing
    except (OSError, ImportError) as exc:
        raise RendererUnavailableError(
            _("无法加载 WeasyPrint（%(error)s）。请由系统管理员安装：%(fix)s")
            % {"error": str(exc)[:200], "fix": FIX}
        ) from exc
    return weasyprint


def _no_fetching(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """Certificates load nothing: no network at run time, no files the template did not ship."""
    raise ValueError(f"certificates load no resources ({url[:80]})")


def render(template: str, context: Mapping[str, Any], code: str) -> bytes:
    """The PDF of ``template`` (a Django template extending the base certificate), in
    Chinese, with ``code`` as its ``/ID`` and keyword. Raises :class:`RendererUnavailableError`
    when the libraries or fonts are missing, or when no CJK font was embedded."""
    ready = readiness()
    if not ready.ok:
        raise RendererUnavailableError(ready.message)
    weasyprint = _weasyprint()
    with translation.override("zh-hans"):
        html = render_to_string(template, {**context, "keyword": KEYWORD + code})
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetching)
    data: bytes = document.write_pdf(pdf_identifier=code.encode("ascii"))
    if not any(b"CJK" in name for name in embedded_fonts(data)):
        raise RendererUnavailableError(
            _("生成的 PDF 中没有嵌入中文字体，汉字无法正确显示。请由系统管理员安装：%(fix)s")
            % {"fix": FIX}
        )
    return data


# ---------------------------------------------------------------------------------------------
# Reading a PDF's bytes.


def is_pdf(data: bytes) -> bool:
    """A PDF starts with ``%PDF-`` (readers allow up to 1,024 bytes before it; we do not)."""
    return data.startswith(PDF_MAGIC)


def inflated_streams(data: bytes) -> Iterator[bytes]:
    """The decompressed content of every Flate stream in ``data`` (damaged ones skipped)."""
    budget = MAX_INFLATED_BYTES
    for match in _STREAM.finditer(data):
        if budget <= 0:
            return
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(data[match.end() :], budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        yield chunk


def _candidates(data: bytes) -> Iterator[bytes]:
    for pattern in (_ID, _KEYWORD):
        yield from (found.group(1) for found in pattern.finditer(data))
    for chunk in inflated_streams(data):
        yield from (found.group(1) for found in _KEYWORD.finditer(chunk))


def find_code(data: bytes) -> str | None:
    """The verification code written into a certificate PDF, or None: the first of the
    places it is written whose check symbol holds (a changed byte in one copy of the code
    leaves the others)."""
    for candidate in _candidates(data):
        try:
            return codes.normalise(candidate.decode("ascii"))
        except codes.CodeError:
            continue
    return None


def embedded_fonts(data: bytes) -> list[bytes]:
    """The ``/BaseFont`` names of the fonts in the PDF (subset prefixes included)."""
    names = _BASE_FONT.findall(data)
    for chunk in inflated_streams(data):
        names += _BASE_FONT.findall(chunk)
    return names
