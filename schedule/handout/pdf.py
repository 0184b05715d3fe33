"""The handout as a PDF (ReportLab): on top the title, the clinic's contacts and the code to
scan; then the timeline picture; then the table of dates with what to do. A4, large type,
black on white, so it prints and photocopies well.

The text is set in DejaVu Sans (shipped in matplotlib's data: `fonts.dejavu`), a name in
another script in a font that has its letters (`fonts.py`); the file is the same bytes for the
same handout. A row of the table is never split across pages: each row has its date, and the
header is repeated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from schedule.handout import fonts, qr
from schedule.handout.content import Handout, Item, Mark
from schedule.handout.fonts import BOLD, FONT
from schedule.handout.html import SIGNS
from schedule.handout.timeline import png

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

QR_SIZE = 110  # points: about 39 mm, read from arm's length
# The marks' colours (as on the page and in the timeline) and signs.
MARK_COLOURS = {
    Mark.GIVEN: ("#111111", "#ffffff"),
    Mark.PLANNED: ("#ffffff", "#111111"),
    Mark.PAUSED: ("#f2b600", "#111111"),
    Mark.NOT_DONE: ("#c00000", "#ffffff"),
}


def _text(value: str) -> str:
    """Text for a ReportLab paragraph: its markup characters escaped, lines kept, and letters
    DejaVu Sans lacks set in a font that has them."""
    parts = []
    for font, run in fonts.runs(value):
        text = escape(run).replace("\n", "<br/>")
        parts.append(f'<font name="{font}">{text}</font>' if font else text)
    return "".join(parts)


def _mark(which: Mark, cat: Catalogue) -> str:
    """A mark as paragraph markup: its sign and word on its colour."""
    back, fore = MARK_COLOURS[which]
    word = _text(f"{SIGNS[which]} {cat.text(f'handout.mark_{which.value}')}")
    return f'<font backColor="{back}" color="{fore}"><b>\u00a0{word}\u00a0</b></font>'


@dataclass(frozen=True)
class _Page:
    """The paragraph styles and the text width every part of the handout is set with."""

    body: Any
    small: Any
    strong: Any
    h1: Any
    h2: Any
    width: float

    @classmethod
    def make(cls) -> _Page:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm

        body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14)
        return cls(
            body=body,
            small=ParagraphStyle("small", parent=body, fontSize=9, leading=12),
            strong=ParagraphStyle("strong", parent=body, fontName=BOLD),
            h1=ParagraphStyle(
                "h1", parent=body, fontName=BOLD, fontSize=20, leading=25, spaceAfter=4
            ),
            h2=ParagraphStyle(
                "h2",
                parent=body,
                fontName=BOLD,
                fontSize=14,
                leading=18,
                spaceBefore=10,
                spaceAfter=6,
            ),
            width=A4[0] - 30 * mm,
        )


def render(handout: Handout, cat: Catalogue) -> bytes:
    """The PDF's bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    fonts.register()
    page = _Page.make()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=handout.heading,
        lang=handout.lang,
        invariant=True,
    )
    story = [*_head(handout, cat, page), *_timeline(handout, cat, page)]
    story += _table(handout, cat, page)
    story.append(Spacer(1, 10))
    story.append(KeepTogether([Paragraph(_text(cat.text("handout.footer")), page.small)]))

    footer = cat.text("handout.footer_short")

    def number_pages(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, cat.text("handout.page", n=doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()


def _head(handout: Handout, cat: Catalogue, page: _Page) -> list[Any]:
    """The title, the day, the clinic's contacts and, with links, the code to scan beside them
    and how to subscribe."""
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    top: list[Any] = [
        Paragraph(_text(handout.heading), page.h1),
        Paragraph(_text(cat.text("handout.as_of", day=cat.date(handout.today, "long"))), page.body),
        Spacer(1, 6),
        Paragraph(_text(cat.text("handout.contacts_heading")), page.strong),
    ]
    if not handout.contacts:
        top.append(Paragraph(_text(cat.text("handout.no_contacts")), page.body))
    for contact in handout.contacts:
        line = _text(contact.text)
        if contact.href:
            line = f'<a href="{escape(contact.href)}">{line}</a>'
        top.append(Paragraph(line, page.body))
    if handout.links is None:
        return top
    code: list[Any] = [
        qr.drawing(handout.links.page, QR_SIZE),
        Paragraph(_text(cat.text("handout.scan")), page.small),
    ]
    head = Table([[top, code]], colWidths=[page.width - QR_SIZE - 12, QR_SIZE + 12])
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [
        head,
        Spacer(1, 4),
        Paragraph(_text(cat.text("handout.subscribe_heading")), page.strong),
        Paragraph(_text(cat.text("handout.subscribe_steps")), page.body),
        Paragraph(_text(handout.links.page), page.small),
        Paragraph(_text(cat.text("handout.private")), page.small),
    ]


def _timeline(handout: Handout, cat: Catalogue, page: _Page) -> list[Any]:
    """The timeline picture under its heading, if there is one."""
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph

    picture = png(handout.items, handout.today, cat, handout.lang)
    if picture is None:
        return []
    pixels_wide, pixels_high = ImageReader(io.BytesIO(picture)).getSize()
    marks = " ".join(_mark(m, cat) for m in Mark)
    return [
        Paragraph(_text(cat.text("handout.timeline_heading")), page.h2),
        Image(io.BytesIO(picture), page.width, page.width * pixels_high / pixels_wide),
        Paragraph(_text(cat.text("handout.legend_heading")), page.strong),
        Paragraph(marks, page.body),
        Paragraph(_text(cat.text("handout.legend")), page.small),
    ]


def _table(handout: Handout, cat: Catalogue, page: _Page) -> list[Any]:
    """The table of dates with what to do, every other day shaded, under its heading."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    heading = Paragraph(_text(cat.text("handout.table_heading")), page.h2)
    if not handout.days:
        return [heading, Paragraph(_text(cat.text("handout.nothing")), page.body)]
    rows: list[list[Any]] = [
        [
            Paragraph(_text(cat.text(f"handout.column_{name}")), page.strong)
            for name in ("date", "what", "todo")
        ]
    ]
    shade: list[tuple[Any, ...]] = []
    for number, day in enumerate(handout.days):
        for index, item in enumerate(day.items):
            # Every row its date (a page may break between two rows of a day): in bold on the
            # day's first row.
            label = Paragraph(_text(day.label), page.strong if index == 0 else page.small)
            rows.append([label, *_cells(item, cat, page)])
            if number % 2:
                grey = colors.HexColor("#eeeeee")
                shade.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), grey))
    widths = [34 * mm, 52 * mm, page.width - 86 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=0, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                *shade,
            ]
        )
    )
    return [heading, table]


def _cells(item: Item, cat: Catalogue, page: _Page) -> tuple[list[Any], list[Any]]:
    """An item's "what" cell (its title, notes and last day) and its "to do" cell."""
    from reportlab.platypus import Paragraph

    what = [Paragraph(f"{_mark(item.mark, cat)} {_text(item.title)}", page.strong)]
    what += [Paragraph(_text(note), page.small) for note in item.notes]
    todo: list[Any] = []
    if item.before:
        todo.append(Paragraph(_text(cat.text("handout.before_visit")), page.strong))
        todo += [Paragraph("• " + _text(line), page.small) for line in item.before]
    if item.last > item.first:
        until = cat.text("handout.until", day=cat.date(item.last, "long"))
        what.append(Paragraph(_text(until), page.small))
    if item.details:
        todo.append(Paragraph(_text(item.details), page.small))
    return what, todo
