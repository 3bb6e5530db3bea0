"""Reading articles (.txt, .md, .html), normalising text, and splitting it into sentences.

All offsets in the fact tables point into the normalised text produced here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


class SkipSource(Exception):
    """A source that cannot be read; the message says why (for the run report)."""


_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\ufeff": "", "\u00ad": "",
})


def normalise(text: str) -> str:
    """NFKC, ASCII quotes and dashes, spaces collapsed inside lines, at most one blank line."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def safe_lower(text: str) -> str:
    """Lower-case without changing the length (a few characters lower to two code points)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# Page furniture: elements whose text is never article content.
_FURNITURE_TAGS = frozenset({"nav", "footer", "aside", "form", "button", "select", "option", "label", "dialog",
                             "iframe", "menu"})
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
                              "alertdialog", "menu", "menubar", "toolbar"})
_FURNITURE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|cookies?|consent|gdpr|footer|sidebar|related|newsletter|subscribe|"
    r"signup|sign-up|share|sharing|social|author|byline|bio|comments?|advert|ads|promo|popular|skip|toolbar|masthead|"
    r"site-header|site-footer|header-nav|pagination|tags|cta|widget)(?:$|[\s_-])", re.I)
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "source", "wbr", "col", "area", "base", "embed",
                   "param", "track"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _is_furniture(tag: str, attrs: list[tuple[str, str | None]], inside_content: bool) -> bool:
    if tag in _FURNITURE_TAGS:
        return True
    if tag == "header" and not inside_content:  # a site header; <article><header><h1> is the article's own
        return True
    a = {k: v or "" for k, v in attrs}
    if a.get("role", "").lower() in _FURNITURE_ROLES or a.get("aria-modal") == "true":
        return True
    return bool(_FURNITURE_ATTR.search(" ".join((a.get("class", ""), a.get("id", ""), a.get("aria-label", "")))))


class _HTMLText(HTMLParser):
    """Visible article text of an HTML page: block elements end lines, table cells are separated by ' | ',
    scripts and page furniture (navigation, breadcrumbs, cookie banners, sidebars, related links, author
    boxes, footers, forms) are dropped; when the page has <main> or <article>, only their text is kept.
    Heading elements are recorded so the extractor knows them as headings whatever their shape."""

    BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
             "section", "article", "main", "header", "footer", "blockquote", "title", "dd", "dt", "pre", "hr",
             "figure", "figcaption", "details", "summary", "caption"}
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[bool, str]] = []  # (inside <main>/<article>, text)
        self.stack: list[tuple[str, bool]] = []  # (tag, starts a dropped subtree)
        self._drop = 0          # open elements whose text is dropped (skipped or furniture)
        self._content = 0       # open <main>/<article> elements
        self.has_content = False
        self.title: str | None = None
        self._in_title = False
        self._heading: list[str] | None = None
        self.headings: list[str] = []
        self._cells = 0         # cells seen in the current table row

    def _emit(self, text: str) -> None:
        if not self._drop:
            self.parts.append((self._content > 0, text))
            if self._heading is not None:
                self._heading.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag in ("br", "hr"):
                self._emit("\n")
            return
        dropped = tag in self.SKIP or (not self._drop and _is_furniture(tag, attrs, self._content > 0))
        self.stack.append((tag, dropped))
        self._drop += dropped
        if tag in ("main", "article"):
            self._content += 1
            self.has_content = self.has_content or not self._drop
        if tag in self.BLOCK:
            self._emit("\n\n" if tag != "li" else "\n")
        if tag == "li":
            self._emit("- ")
        if tag == "tr":
            self._cells = 0
        if tag in ("td", "th"):
            self._emit(" | " if self._cells else "")
            self._cells += 1
        if tag in _HEADINGS and not self._drop:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:  # close what the page left open inside this element
            t, dropped = self.stack.pop()
            if tag in _HEADINGS and t == tag and self._heading is not None:
                self.headings.append("".join(self._heading))
                self._heading = None
            if t in self.BLOCK:
                self._emit("\n\n" if t in _HEADINGS or t == "p" else "\n")
            self._drop -= dropped
            if t in ("main", "article"):
                self._content -= 1
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data
            return
        self._emit(data.replace("\n", " "))


def html_to_text(raw: str) -> str:
    """The visible article text of an HTML page (see `read_html`)."""
    return read_html(raw)[0]


def read_html(raw: str) -> tuple[str, list[str]]:
    """(text, heading texts) of an HTML page, page furniture removed."""
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    keep = [t for inside, t in parser.parts if inside or not parser.has_content]
    body = "".join(keep)
    title = (parser.title or "").strip()
    if title and title not in body:
        body = title + "\n\n" + body
    return body, parser.headings


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_MD_SETEXT = re.compile(r"^([^\n]+)\n(?:=+|-+)\s*$", re.M)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def markdown_to_text(raw: str) -> str:
    """Plain text of a Markdown article (see `read_markdown`)."""
    return read_markdown(raw)[0]


def read_markdown(raw: str) -> tuple[str, list[str]]:
    """(text, heading texts) of a Markdown article: front matter, code, images, link targets and emphasis
    marks removed; ATX (#) and setext (underlined) headings recorded."""
    text = _FRONT_MATTER.sub("", raw)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = _MD_SETEXT.sub(lambda m: "# " + m.group(1) if not m.group(1).lstrip().startswith(("-", "*", "|")) else m.group(0),
                          text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    headings = [m.group(1) for m in _MD_HEADING.finditer(text)]
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"^\s*[-*+]\s+", "- ", text, flags=re.M)
    headings = [re.sub(r"`([^`]*)`", r"\1", re.sub(r"(\*\*|__|\*)(.+?)\1", r"\2", h)) for h in headings]
    return html.unescape(text), [html.unescape(h) for h in headings]


def decode_bytes(data: bytes, name: str) -> str:
    if not data.strip():
        raise SkipSource(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise SkipSource(f"{name}: binary file (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkipSource(f"{name}: not UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r})") from exc
    controls = sum(1 for c in text[:20000] if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(8, len(text[:20000]) // 100):
        raise SkipSource(f"{name}: binary-looking file ({controls} control characters)")
    return text


@dataclass(frozen=True)
class Article:
    """One article as the extractor reads it: the normalised text (all offsets point into it), its title,
    its format, and the lines its markup declared as headings (HTML h1-h6, Markdown #)."""
    title: str
    text: str
    format: str                       # txt | md | html
    headings: frozenset[str] = frozenset()


def article_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return "html" if suffix in (".html", ".htm") else "md" if suffix in (".md", ".markdown") else "txt"


def read_article(path: Path, max_bytes: int) -> Article:
    """Read, convert and normalise one article, or raise SkipSource."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SkipSource(f"{path}: cannot read ({exc.strerror})") from exc
    if size > max_bytes:
        raise SkipSource(f"{path}: {size} bytes is over the size limit of {max_bytes} bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkipSource(f"{path}: cannot read ({exc.strerror})") from exc
    raw = decode_bytes(data, str(path))
    fmt = article_format(path)
    headings: list[str] = []
    if fmt == "html":
        raw, headings = read_html(raw)
    elif fmt == "md":
        raw, headings = read_markdown(raw)
    text = normalise(raw)
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 3:
        raise SkipSource(f"{path}: no readable text after markup was removed")
    declared = frozenset(h for h in (normalise(x) for x in headings) if h and "\n" not in h)
    return Article(guess_title(text), text, fmt, declared)


def guess_title(text: str) -> str:
    """The first heading-like line of 4-20 words, else the start of the first line."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines[:8]:
        n = len(line.split())
        if 4 <= n <= 20 and not line.endswith((".", ",", ";", ":")) and not line.lower().startswith("by "):
            return line
    first = lines[0] if lines else ""
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."
