"""The patient's page: `GET /p/TOKEN` on the feed server, with the same token as the feed, and
`GET /p/TOKEN/handout.pdf`, the printable schedule. Unknown, malformed and revoked tokens get
the feed's own 404, byte for byte.

A small page for a phone, read without any script: the dates coming up (as the patient's
calendar words them, in the patient's language), buttons that add the feed to Apple Calendar or
Outlook (`webcal://`) and the steps for Google Calendar (its web version subscribes from a
https:// address; its phone app cannot), the code to scan to open the page on a phone, the
printable schedule, and the clinic's contacts. High contrast, large type and tap targets, one
`main` landmark, headings in order, the page's language set. The response forbids every script,
frame and outside resource (`Content-Security-Policy`) and sends no referrer.

`?titles=plain` (or `discreet`), as on the feed link, chooses the titles and goes on to the
links the page gives. The links' address comes from the configuration only (the site's
`feed_base_url`, or the server's base URL), never from the request: without one the page gives
no links, and says so and how the clinic sets the address.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING

from schedule.calendars.feeds import PAGE_PREFIX, TOKEN_SHAPE
from schedule.handout import qr
from schedule.web.feeds import COMMON, Answer, Feeds, Request, asked_titles, plain

if TYPE_CHECKING:
    from schedule.handout.content import Handout
    from schedule.i18n import Catalogue
    from schedule.patientview.links import Links

PREFIX = PAGE_PREFIX
UPCOMING_DAYS = 183  # the page lists about six months; the printable schedule has them all
GOOGLE_FROM_URL = "https://calendar.google.com/calendar/r/settings/addbyurl"

STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#111;font:18px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,"DejaVu Sans",sans-serif}
main,footer{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0}h2{font-size:1.3rem;margin:2rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
a{color:#0b4a8f;text-decoration:underline}a:focus{outline:3px solid #111;outline-offset:2px}
a.button{display:block;min-height:48px;padding:.7rem 1rem;margin:.6rem 0;border-radius:.4rem;
background:#0b4a8f;color:#fff;font-weight:bold;text-align:center;text-decoration:none}
a.button:focus{outline:3px solid #111;outline-offset:3px}
code{display:block;padding:.5rem;background:#f1f1f1;border:1px solid #767676;
word-break:break-all;font-size:.95rem}
ol.days{list-style:none;padding:0;margin:0}ol.days>li{border-top:1px solid #767676;
padding:.5rem 0}ul{padding-left:1.2rem;margin:.25rem 0}
.note{font-weight:bold}.small{font-size:.95rem}
.code svg{display:block;width:12rem;height:12rem;max-width:100%}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = [*COMMON, ("Content-Security-Policy", POLICY), ("X-Frame-Options", "DENY")]


def page_request(path: str) -> tuple[str, bool] | None:
    """The token of a path under `/p/`, and whether it asks for the handout; None for a path
    that is neither (it gets the feed's 404 without any query)."""
    token, slash, rest = path[len(PREFIX) :].partition("/")
    if not TOKEN_SHAPE.fullmatch(token) or slash + rest not in ("", "/handout.pdf"):
        return None
    return token, rest == "handout.pdf"


def answer_page(
    feeds: Feeds, base_url: str | None, token: str, pdf: bool, request: Request
) -> Answer:
    """The page, or the handout, of a live token; the feed's 404 for any other. A database
    that fails is answered 503 by the caller, as for the feed."""
    from schedule.services.handout import FeedLink, patient_handout

    today = feeds.clock().astimezone().date()
    link = FeedLink(base_url, token, asked_titles(request.query))
    found = patient_handout(feeds.store, feeds.catalog, feeds.settings, today, None, link)
    if found is None:
        return plain(404, head=request.head)
    built, words = found.handout, found.words
    asked = link.titles
    if pdf:
        from schedule.handout.pdf import render

        body = render(built, words)
        kind = "application/pdf"
        extra = [("Content-Disposition", 'attachment; filename="schedule.pdf"')]
    else:
        query = f"?titles={asked.value}" if asked else ""
        body = page(built, words, f"{token}/handout.pdf{query}").encode("utf-8")
        kind = "text/html; charset=utf-8"
        extra = []
    headers = [("Content-Type", kind), ("Content-Length", str(len(body))), *extra, *HEADERS]
    return Answer(200, headers, b"" if request.head else body)


def _e(text: str) -> str:
    return escape(text, quote=True)


def page(handout: Handout, cat: Catalogue, handout_href: str) -> str:
    """The page's HTML."""
    from schedule.handout.html import contacts, item_todo, item_what

    links = handout.links
    t = cat.text
    title = _e(t("page.title_for", name=handout.name) if handout.name else t("page.title"))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(handout.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="robots" content="noindex, nofollow">',
        f"<title>{title}</title><style>{STYLE}</style></head><body>",
        "<main>",
        f"<h1>{title}</h1>",
        f"<p>{_e(t('page.intro'))}</p>",
        f'<h2 id="add">{_e(t("page.add_heading"))}</h2>',
        *(_adding(links, cat) if links else [f'<p class="note">{_e(t("page.no_address"))}</p>']),
        f'<h2 id="coming">{_e(t("page.upcoming_heading"))}</h2>',
        f"<p>{_e(t('handout.as_of', day=cat.date(handout.today, 'long')))}</p>",
    ]
    horizon = handout.today + timedelta(days=UPCOMING_DAYS)
    days = [d for d in handout.days if d.day <= horizon]
    if not days:
        parts.append(f"<p>{_e(t('handout.nothing'))}</p>")
    else:
        parts.append('<ol class="days">')
        for day in days:
            parts.append(f"<li><h3>{_e(day.label)}</h3><ul>")
            for item in day.items:
                parts.append(f"<li>{item_what(item, cat)}{item_todo(item, cat)}</li>")
            parts.append("</ul></li>")
        parts.append("</ol>")
        if len(days) < len(handout.days):
            parts.append(f"<p>{_e(t('page.later'))}</p>")
    parts += [
        f'<h2 id="print">{_e(t("page.handout_heading"))}</h2>',
        f'<a class="button" href="{_e(handout_href)}" download>{_e(t("page.handout"))}</a>',
        contacts(handout, cat),
        *(_code(links.page, cat) if links else []),
        "</main>",
        f'<footer><p class="small">{_e(t("page.private"))}</p>'
        f'<p class="small">{_e(t("handout.footer"))}</p></footer>',
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _adding(links: Links, cat: Catalogue) -> list[str]:
    """How to add the calendar: Apple's and Outlook's button, Google's steps."""
    t = cat.text
    return [
        f'<a class="button" href="{_e(links.webcal)}">{_e(t("page.apple"))}</a>',
        f'<p class="small">{_e(t("page.apple_hint"))}</p>',
        f"<h3>{_e(t('page.google_heading'))}</h3>",
        "<ol>",
        f"<li>{_e(t('page.google_step1'))} "
        f'<a href="{GOOGLE_FROM_URL}">{_e(t("page.google_open"))}</a></li>',
        f"<li>{_e(t('page.google_step2'))}</li>",
        f"<li>{_e(t('page.google_step3'))}<code>{_e(links.web)}</code></li>",
        "</ol>",
    ]


def _code(address: str, cat: Catalogue) -> list[str]:
    """The code to scan to open the page on a phone."""
    t = cat.text
    return [
        f'<h2 id="phone">{_e(t("page.qr_heading"))}</h2>',
        f"<p>{_e(t('page.qr_text'))}</p>",
        f'<div class="code">{qr.svg(address, t("page.qr_label"), 192)}</div>',
    ]
