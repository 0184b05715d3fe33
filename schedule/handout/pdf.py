"""The handout as a PDF (ReportLab): on top the title, the clinic's contacts and the code to
scan; then the timeline picture; then the table of dates with what to do. A4, large type,
black on white, so it prints and photocopies well.

The text is set in DejaVu Sans (shipped with matplotlib), which has the letters of every
language and name a patient may have; the file is the same bytes for the same handout.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from schedule.handout import qr
from schedule.handout.content import Handout
from schedule.handout.timeline import png

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

FONT = "PrrtSans"
BOLD = "PrrtSans-Bold"
QR_SIZE = 110  # points: about 39 mm, read from arm's length


def _fonts() -> None:
    from pathlib import Path

    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _text(value: str) -> str:
    """Text for a ReportLab paragraph: its markup characters escaped, lines kept."""
    return escape(value).replace("\n", "<br/>")


def render(handout: Handout, cat: Catalogue) -> bytes:
    """The PDF's bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12)
    strong = ParagraphStyle("strong", parent=body, fontName=BOLD)
    h1 = ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=20, leading=25, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6
    )
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
    width = A4[0] - 30 * mm
    story: list[Any] = []

    top: list[Any] = [
        Paragraph(_text(handout.heading), h1),
        Paragraph(_text(cat.text("handout.as_of", day=cat.date(handout.today, "long"))), body),
        Spacer(1, 6),
        Paragraph(_text(cat.text("handout.contacts_heading")), strong),
    ]
    lines = handout.contacts or (cat.text("handout.no_contacts"),)
    top += [Paragraph(_text(line), body) for line in lines]
    if handout.links is not None:
        code: list[Any] = [
            qr.drawing(handout.links.page, QR_SIZE),
            Paragraph(_text(cat.text("handout.scan")), small),
        ]
        head = Table([[top, code]], colWidths=[width - QR_SIZE - 12, QR_SIZE + 12])
        head.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        )
        story.append(head)
        story.append(Spacer(1, 4))
        story.append(Paragraph(_text(cat.text("handout.subscribe_heading")), strong))
        story.append(Paragraph(_text(cat.text("handout.subscribe_steps")), body))
        story.append(Paragraph(_text(handout.links.page), small))
        story.append(Paragraph(_text(cat.text("handout.private")), small))
    else:
        story += top

    picture = png(handout.items, handout.today, cat, handout.lang)
    if picture is not None:
        reader = ImageReader(io.BytesIO(picture))
        pixels_wide, pixels_high = reader.getSize()
        story.append(Paragraph(_text(cat.text("handout.timeline_heading")), h2))
        story.append(Image(io.BytesIO(picture), width, width * pixels_high / pixels_wide))

    story.append(Paragraph(_text(cat.text("handout.table_heading")), h2))
    if not handout.days:
        story.append(Paragraph(_text(cat.text("handout.nothing")), body))
    else:
        rows: list[list[Any]] = [
            [
                Paragraph(_text(cat.text(f"handout.column_{name}")), strong)
                for name in ("date", "what", "todo")
            ]
        ]
        shade: list[tuple[Any, ...]] = []
        for number, day in enumerate(handout.days):
            for index, item in enumerate(day.items):
                what = [Paragraph(_text(item.title), strong)]
                what += [Paragraph(_text(note), small) for note in item.notes]
                todo: list[Any] = []
                if item.before:
                    todo.append(Paragraph(_text(cat.text("handout.before_visit")), strong))
                    todo += [Paragraph("• " + _text(line), small) for line in item.before]
                if item.last > item.first:
                    until = cat.text("handout.until", day=cat.date(item.last, "long"))
                    what.append(Paragraph(_text(until), small))
                if item.details:
                    todo.append(Paragraph(_text(item.details), small))
                label = Paragraph(_text(day.label), strong) if index == 0 else ""
                rows.append([label, what, todo])
                if number % 2:
                    shade.append(
                        (
                            "BACKGROUND",
                            (0, len(rows) - 1),
                            (-1, len(rows) - 1),
                            colors.HexColor("#eeeeee"),
                        )
                    )
        table = Table(rows, colWidths=[34 * mm, 52 * mm, width - 86 * mm], splitInRow=1)
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
        story.append(table)
    story.append(Spacer(1, 10))
    story.append(KeepTogether([Paragraph(_text(cat.text("handout.footer")), small)]))

    footer = cat.text("handout.footer_short")

    def number_pages(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, cat.text("handout.page", n=doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()
