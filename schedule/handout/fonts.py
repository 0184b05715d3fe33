"""The fonts the PDF handout is set in, found by path, and the font of each piece of text.

The text is set in DejaVu Sans (Latin, Greek, Cyrillic; matplotlib ships it, so it is always
there). A patient's name in another script is set in a font that has its letters, where the
system has one (Debian's packages, installed by `tests/system/packages.sh`): Noto Sans Arabic,
Droid Sans Fallback (Chinese and Japanese: TrueType outlines, which ReportLab embeds; the CFF
outlines of Noto's CJK fonts it cannot), WenQuanYi Zen Hei (Korean) and Symbola (emoji, in
black and white). A fallback font is loaded only when a text needs it. Where none has a
letter, the letter stays in DejaVu Sans, which draws it as an empty box: `missing` names such
letters, so a caller can tell.

Text in a right-to-left script (Arabic, Hebrew) is laid out before it is set (`visual`): its
letters take their joined forms (arabic-reshaper: the presentation forms, which DejaVu Sans
has) and each line is put in the order it is read on the page (python-bidi, the Unicode bidi
algorithm), since ReportLab draws characters left to right as they come.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT = "PrrtSans"
BOLD = "PrrtSans-Bold"
ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class Fallback:
    """A font for the letters DejaVu Sans lacks: its name in the PDF and the file names to
    look for under `ROOTS` (the first found is used), regular then bold."""

    name: str
    regular: tuple[str, ...]
    bold: tuple[str, ...] = ()


FALLBACKS = (
    Fallback("PrrtArabic", ("NotoSansArabic-Regular.ttf",), ("NotoSansArabic-Bold.ttf",)),
    Fallback("PrrtCJK", ("DroidSansFallbackFull.ttf", "DroidSansFallback.ttf")),
    Fallback("PrrtHangul", ("wqy-zenhei.ttc",)),  # Korean, which Droid Sans Fallback lacks
    Fallback("PrrtSymbols", ("Symbola_hint.ttf", "Symbola.ttf")),
)


def dejavu(bold: bool = False) -> Path:
    """The file of DejaVu Sans (or its bold), in matplotlib's data, found without importing
    matplotlib (which takes longer than drawing a whole handout)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("matplotlib, whose data holds the DejaVu Sans fonts")
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")


def register() -> None:
    """Register DejaVu Sans (regular and bold) as the handout's family, once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(dejavu())))
    pdfmetrics.registerFont(TTFont(BOLD, str(dejavu(bold=True))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def find(names: Sequence[str], roots: Sequence[Path] = ROOTS) -> Path | None:
    """The first of the file `names` found under `roots` (by name, in any folder), or None."""
    for name in names:
        for root in roots:
            found = _index(root).get(name)
            if found is not None:
                return found
    return None


@functools.cache
def _index(root: Path) -> dict[str, Path]:
    """The font files under `root` by file name (the first found of each name)."""
    files: dict[str, Path] = {}
    if root.is_dir():
        for path in sorted(root.rglob("*.tt[fc]")):
            files.setdefault(path.name, path)
    return files


@functools.cache
def _cmap(name: str) -> frozenset[int]:
    """The characters the registered font `name` has a glyph for."""
    from reportlab.pdfbase import pdfmetrics

    font: Any = pdfmetrics.getFont(name)
    return frozenset(font.face.charToGlyph)


@functools.cache
def _loaded(fallback: Fallback) -> bool:
    """Register `fallback` (regular, and bold when found) if its file is there."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = find(fallback.regular)
    if regular is None:
        return False
    bold = find(fallback.bold) or regular
    pdfmetrics.registerFont(TTFont(fallback.name, str(regular)))
    pdfmetrics.registerFont(TTFont(f"{fallback.name}-Bold", str(bold)))
    pdfmetrics.registerFontFamily(
        fallback.name,
        normal=fallback.name,
        bold=f"{fallback.name}-Bold",
        italic=fallback.name,
        boldItalic=f"{fallback.name}-Bold",
    )
    return True


def font_for(char: str) -> str | None:
    """The fallback font for a character DejaVu Sans lacks, or None (DejaVu Sans has it, or
    no font found has it)."""
    if ord(char) in _cmap(FONT) or char.isspace():
        return None
    for fallback in FALLBACKS:
        if _loaded(fallback) and ord(char) in _cmap(fallback.name):
            return fallback.name
    return None


# Letters of the right-to-left scripts: Hebrew, Arabic and their supplements and forms.
_RTL = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


def _rtl(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _RTL)


def visual(text: str) -> str:
    """`text` as it is drawn left to right: each line with right-to-left letters joined
    (Arabic) and in the order read on the page; text without such letters as it is.

    >>> visual("Ana Example") == "Ana Example"
    True
    """
    if not any(_rtl(c) for c in text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return "\n".join(str(get_display(arabic_reshaper.reshape(line))) for line in text.split("\n"))


def runs(text: str) -> Iterator[tuple[str | None, str]]:
    """`text` cut into runs, each with its fallback font (None: DejaVu Sans), in the order
    drawn (`visual`). A space between two runs of one fallback font stays in it."""
    register()
    text = visual(text)
    current: str | None = None
    run = ""
    for char in text:
        font = current if char.isspace() and current else font_for(char)
        if font != current and run:
            yield current, run
            run = ""
        current = font
        run += char
    if run:
        yield current, run


def missing(text: str) -> str:
    """The characters of `text` that no font found has (drawn as empty boxes)."""
    register()
    lacking = {c for c in text if not c.isspace() and ord(c) not in _cmap(FONT)}
    return "".join(sorted(c for c in lacking if font_for(c) is None))
