"""The handout as one HTML file: the same content as the PDF, with no script and nothing fetched
from elsewhere (the picture and the code are inside the file), to print or to send.
"""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING

from schedule.handout import qr
from schedule.handout.content import Handout, Item, Mark
from schedule.handout.timeline import png

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

# Each mark: a sign, a word and a colour of its own (the sign and the word carry it in black
# and white; the timeline uses the same colours).
SIGNS = {Mark.GIVEN: "✓", Mark.PLANNED: "○", Mark.PAUSED: "‖", Mark.NOT_DONE: "✕"}
MARK_STYLE = """
.mark{display:inline-block;padding:0 .35rem;margin-right:.35rem;border:2px solid #111;
border-radius:.3rem;font-weight:bold;font-size:.9rem;line-height:1.4}
.m-given{background:#111;color:#fff}.m-planned{background:#fff;color:#111}
.m-paused{background:#f2b600;color:#111}.m-not_done{background:#c00000;color:#fff;
border-color:#c00000}p.legend .mark{margin-bottom:.3rem}
"""

STYLE = """
body{font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Noto Sans",
"Droid Sans Fallback","Noto Color Emoji",sans-serif;
color:#111;background:#fff;margin:0 auto;max-width:52rem;padding:1rem}
h1{font-size:1.8rem;margin:.2rem 0}h2{font-size:1.3rem;margin:1.6rem 0 .5rem}
.top{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between}
.code{max-width:14rem}.code p{font-size:.9rem}.link{word-break:break-all;font-size:.9rem}
img.timeline{width:100%;height:auto;border:1px solid #ccc}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;
padding:.45rem .5rem;border-bottom:1px solid #999}thead th{border-bottom:2px solid #111}
td.day{font-weight:bold;white-space:nowrap}.note,.before{font-size:.92rem}
ul{margin:.2rem 0 .4rem;padding-left:1.2rem}
@media print{body{font-size:11pt;max-width:none}tr{break-inside:avoid}
thead{display:table-header-group}}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def mark(which: Mark, cat: Catalogue) -> str:
    """A mark: its sign and its word, in its colour."""
    word = _e(cat.text(f"handout.mark_{which.value}"))
    return f'<span class="mark m-{which.value}">{SIGNS[which]} {word}</span>'


def legend(cat: Catalogue, level: int = 2) -> str:
    """What the marks mean: each mark with its sentence of `handout.legend`."""
    heading = _e(cat.text("handout.legend_heading"))
    return (
        f"<h{level}>{heading}</h{level}>"
        f'<p class="legend">{" ".join(mark(m, cat) for m in Mark)}</p>'
        f"<p>{_e(cat.text('handout.legend'))}</p>"
    )


def item_what(item: Item, cat: Catalogue) -> str:
    """A mark and a title with its notes (the time, "not done yet") and its last day."""
    parts = [f"{mark(item.mark, cat)} <strong>{_e(item.title)}</strong>"]
    parts += [f'<br><span class="note">{_e(note)}</span>' for note in item.notes]
    if item.last > item.first:
        until = cat.text("handout.until", day=cat.date(item.last, "long"))
        parts.append(f'<br><span class="note">{_e(until)}</span>')
    return "".join(parts)


def item_todo(item: Item, cat: Catalogue) -> str:
    """What to do: the steps before a treatment visit, then the instructions."""
    parts = []
    if item.before:
        lines = "".join(f"<li>{_e(line)}</li>" for line in item.before)
        before = _e(cat.text("handout.before_visit"))
        parts.append(f'<div class="before"><strong>{before}</strong><ul>{lines}</ul></div>')
    if item.details:
        parts.append(f"<p>{_e(item.details)}</p>")
    return "".join(parts)


def contacts(handout: Handout, cat: Catalogue, level: int = 2) -> str:
    """The clinic's contacts, a phone number and an e-mail address as links that call and
    write."""
    heading = _e(cat.text("handout.contacts_heading"))
    if not handout.contacts:
        return f"<h{level}>{heading}</h{level}><p>{_e(cat.text('handout.no_contacts'))}</p>"
    lines = [
        f'<p><a href="{_e(c.href)}">{_e(c.text)}</a></p>' if c.href else f"<p>{_e(c.text)}</p>"
        for c in handout.contacts
    ]
    return f"<h{level}>{heading}</h{level}>" + "".join(lines)


def render(handout: Handout, cat: Catalogue) -> str:
    """The HTML file's text."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(handout.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(handout.heading)}</title><style>{STYLE}{MARK_STYLE}</style></head><body><main>",
        '<div class="top"><div>',
        f"<h1>{_e(handout.heading)}</h1>",
        f"<p>{_e(cat.text('handout.as_of', day=cat.date(handout.today, 'long')))}</p>",
        contacts(handout, cat),
        "</div>",
    ]
    if handout.links is not None:
        label = cat.text("handout.qr_label")
        parts += [
            '<div class="code">',
            qr.svg(handout.links.page, label, 200),
            f"<p>{_e(cat.text('handout.scan'))}</p></div>",
        ]
    parts.append("</div>")
    if handout.links is not None:
        page = _e(handout.links.page)
        parts += [
            f"<h2>{_e(cat.text('handout.subscribe_heading'))}</h2>",
            f"<p>{_e(cat.text('handout.subscribe_steps'))}</p>",
            f'<p class="link"><a href="{page}">{page}</a></p>',
            f"<p>{_e(cat.text('handout.private'))}</p>",
        ]
    picture = png(handout.items, handout.today, cat, handout.lang)
    if picture is not None:
        data = base64.b64encode(picture).decode("ascii")
        alt = _e(cat.text("handout.timeline_alt"))
        parts += [
            f"<h2>{_e(cat.text('handout.timeline_heading'))}</h2>",
            f'<img class="timeline" src="data:image/png;base64,{data}" alt="{alt}">',
        ]
    parts.append(legend(cat))
    parts.append(f"<h2>{_e(cat.text('handout.table_heading'))}</h2>")
    if not handout.days:
        parts.append(f"<p>{_e(cat.text('handout.nothing'))}</p>")
    else:
        head = "".join(
            f'<th scope="col">{_e(cat.text(f"handout.column_{name}"))}</th>'
            for name in ("date", "what", "todo")
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for day in handout.days:
            for item in day.items:  # each row its date: a page may break between two rows
                label = _e(day.label)
                parts.append(
                    f'<tr><td class="day">{label}</td><td>{item_what(item, cat)}</td>'
                    f"<td>{item_todo(item, cat)}</td></tr>"
                )
        parts.append("</tbody></table>")
    parts.append(f"<p>{_e(cat.text('handout.footer'))}</p></main></body></html>\n")
    return "\n".join(parts)
