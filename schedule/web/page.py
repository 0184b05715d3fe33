"""The patient's page: `GET /p/TOKEN` on the feed server, with the same token as the feed, and
`GET /p/TOKEN/handout.pdf`, the printable schedule. Unknown, malformed and revoked tokens get
the feed's own 404, byte for byte.

A small page for a phone, read without any script: near the top the code to scan to open the
page on a phone (for whoever reads it on a computer or holds the printout), buttons that add the
feed to Apple Calendar or Outlook (`webcal://`) and to Google Calendar (its "add by URL" link;
the steps by hand should it fail: its web version subscribes from the http(s) address, its
phone app cannot), then the dates coming up (as the patient's calendar words them, each with
its mark: done, planned, paused, not done, and a legend), the printable schedule, and the
clinic's contacts (a phone number to call, an address to write to). High contrast, large type
and tap targets, one `main` landmark, headings in order, the page's language set. The response
forbids every script, frame and outside resource (`Content-Security-Policy`) and sends no
referrer.

`?titles=plain` (or `discreet`), as on the feed link, chooses the titles and goes on to the
links the page gives; a second button adds the calendar with the other titles, and one sentence
says what a lock screen then shows. `?lang=` chooses the page's language, else the patient's,
else the browser's (`Accept-Language`), else the site's; the page links to each language it
speaks. The calendar keeps the patient's language whatever the page is read in.

The links' address comes from the configuration only (the site's
`feed_base_url`, or the server's base URL), never from the request: without one the page gives
no links, and says so and how the clinic sets the address.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode

from schedule.calendars.feeds import PAGE_PREFIX, TOKEN_SHAPE
from schedule.handout import qr
from schedule.handout.html import MARK_STYLE
from schedule.i18n import LANGUAGES, LOCALES
from schedule.patientview.titles import Titles
from schedule.web.feeds import COMMON, Answer, Feeds, Request, asked_titles, plain

if TYPE_CHECKING:
    from schedule.handout.content import Handout
    from schedule.i18n import Catalogue
    from schedule.patientview.links import Links

PREFIX = PAGE_PREFIX
UPCOMING_DAYS = 183  # the page lists about six months; the printable schedule has them all
GOOGLE_FROM_URL = "https://calendar.google.com/calendar/r/settings/addbyurl"
# Google Calendar's "add by URL" link: opens the browser's Google Calendar and offers to add the
# feed given as `cid` (a webcal:// or http(s):// address).
GOOGLE_ADD = "https://calendar.google.com/calendar/render?cid="

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
a.second{background:#fff;color:#0b4a8f;border:2px solid #0b4a8f}
nav.lang{max-width:40rem;margin:0 auto;padding:0 1rem}
nav.lang ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem}
nav.lang a,nav.lang strong{display:inline-block;min-height:44px;padding:.6rem 0}
ol.days ul.items{list-style:none;padding:0}ol.days ul.items>li{margin:.4rem 0}
@media print{a.button,nav.lang{display:none}}
"""
STYLE += MARK_STYLE  # the marks' colours, as in the handout
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
    lang = asked_lang(request.query)
    browser = accepted_lang(request.headers.get("accept-language", ""))
    found = patient_handout(
        feeds.store, feeds.catalog, feeds.settings, today, None, link, lang, preferred=browser
    )
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
        handout = f"{token}/handout.pdf{_query(lang, asked)}"
        body = page(built, words, handout, token, asked).encode("utf-8")
        kind = "text/html; charset=utf-8"
        extra = []
    headers = [("Content-Type", kind), ("Content-Length", str(len(body))), *extra, *HEADERS]
    headers.append(("Vary", "Accept-Language"))  # the page follows the browser's language
    return Answer(200, headers, b"" if request.head else body)


def asked_lang(query: str) -> str | None:
    """The language `?lang=` asks for, if the page speaks it (else None: not an error)."""
    asked = parse_qs(query).get("lang", [""])[-1].strip().lower() if query else ""
    return asked if asked in LANGUAGES else None


def accepted_lang(header: str) -> str | None:
    """The first language of an `Accept-Language` header the page speaks, by its weight.

    >>> accepted_lang("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")
    'fr'
    >>> accepted_lang("ja, de;q=0.2, es;q=0.4"), accepted_lang("")
    ('es', None)
    """
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else None


def _query(lang: str | None, titles: Titles | None) -> str:
    """`?lang=..&titles=..` for what was asked, or ""."""
    asked = {"lang": lang or "", "titles": titles.value if titles else ""}
    kept = {name: value for name, value in asked.items() if value}
    return f"?{urlencode(kept)}" if kept else ""


def _e(text: str) -> str:
    return escape(text, quote=True)


def page(
    handout: Handout,
    cat: Catalogue,
    handout_href: str,
    token: str = "",
    titles: Titles | None = None,
) -> str:
    """The page's HTML. `token` and `titles`: for the links to the page in other languages."""
    # long: the page from top to bottom, one part after another
    from schedule.handout.html import contacts, item_todo, item_what, legend

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
        _languages(handout.lang, token, titles, cat),
        "<main>",
        f"<h1>{title}</h1>",
        f"<p>{_e(t('page.intro'))}</p>",
        *(_code(links.page, cat) if links else []),
        f'<h2 id="add">{_e(t("page.add_heading"))}</h2>',
        *(
            _adding(links, handout.other, handout.titles, cat)
            if links
            else [f'<p class="note">{_e(t("page.no_address"))}</p>']
        ),
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
            parts.append(f'<li><h3>{_e(day.label)}</h3><ul class="items">')
            for item in day.items:
                parts.append(f"<li>{item_what(item, cat)}{item_todo(item, cat)}</li>")
            parts.append("</ul></li>")
        parts.append("</ol>")
        if len(days) < len(handout.days):
            parts.append(f"<p>{_e(t('page.later'))}</p>")
        parts.append(legend(cat, 3))
    parts += [
        f'<h2 id="print">{_e(t("page.handout_heading"))}</h2>',
        f'<a class="button" href="{_e(handout_href)}" download>{_e(t("page.handout"))}</a>',
        contacts(handout, cat),
        "</main>",
        f'<footer><p class="small">{_e(t("page.private"))}</p>'
        f'<p class="small">{_e(t("handout.footer"))}</p></footer>',
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _languages(current: str, token: str, titles: Titles | None, cat: Catalogue) -> str:
    """Links to the page in each language it speaks, each named in its own language."""
    from babel import Locale

    if not token:
        return ""
    items = []
    for code in sorted(LANGUAGES):
        name = _e(Locale.parse(LOCALES[code]).language_name or code)
        if code == current:
            items.append(f'<li><strong lang="{code}" aria-current="page">{name}</strong></li>')
        else:
            href = _e(f"{token}{_query(code, titles)}")
            items.append(f'<li><a href="{href}" hreflang="{code}" lang="{code}">{name}</a></li>')
    label = _e(cat.text("page.languages"))
    return f'<nav class="lang" aria-label="{label}"><ul>{"".join(items)}</ul></nav>'


def _adding(links: Links, other: Links | None, titles: Titles, cat: Catalogue) -> list[str]:
    """How to add the calendar: Apple's and Outlook's button, Google's one-tap link with its
    steps should it fail, then the same with the other titles and what they show."""
    t = cat.text
    google = GOOGLE_ADD + quote(links.webcal, safe="")
    parts = [
        f'<a class="button" href="{_e(links.webcal)}">{_e(t("page.apple"))}</a>',
        f'<p class="small">{_e(t("page.apple_hint"))}</p>',
        f"<h3>{_e(t('page.google_heading'))}</h3>",
        f'<a class="button" href="{_e(google)}">{_e(t("page.google_button"))}</a>',
        f'<p class="small">{_e(t("page.google_hint"))}</p>',
        "<ol>",
        f"<li>{_e(t('page.google_step1'))} "
        f'<a href="{GOOGLE_FROM_URL}">{_e(t("page.google_open"))}</a></li>',
        f"<li>{_e(t('page.google_step2'))}</li>",
        f"<li>{_e(t('page.google_step3'))}<code>{_e(links.web)}</code></li>",
        "</ol>",
    ]
    if other is not None:
        which = "discreet" if titles is Titles.PLAIN else "plain"
        parts += [
            f'<a class="button second" href="{_e(other.webcal)}">'
            f"{_e(t(f'page.{which}_button'))}</a>",
            f'<p class="small">{_e(t(f"page.{which}_hint"))}</p>',
        ]
    return parts


def _code(address: str, cat: Catalogue) -> list[str]:
    """The code to scan to open the page on a phone: near the top, where someone reading the
    page on a computer, or holding the printout, finds it."""
    t = cat.text
    return [
        f'<h2 id="phone">{_e(t("page.qr_heading"))}</h2>',
        f"<p>{_e(t('page.qr_text'))}</p>",
        f'<div class="code">{qr.svg(address, t("page.qr_label"), 192)}</div>',
    ]
