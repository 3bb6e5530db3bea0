"""Reading articles (.txt, .md, .html), normalising text, and splitting it into sentences.

All offsets in the fact tables point into the normalised text produced here.
"""

from __future__ import annotations

import html
import re
import unicodedata
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


class _HTMLText(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
             "section", "article", "header", "footer", "blockquote", "title", "dd", "dt", "pre", "hr"}
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self._skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n" if tag not in {"br", "li"} else "\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data
            return
        if not self._skip:
            self.parts.append(data.replace("\n", " "))


def html_to_text(raw: str) -> str:
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    body = "".join(parser.parts)
    if parser.title and parser.title.strip() and parser.title.strip() not in body:
        body = parser.title.strip() + "\n\n" + body
    return body


def markdown_to_text(raw: str) -> str:
    text = re.sub(r"```.*?```", " ", raw, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"^\s*[-*+]\s+", "- ", text, flags=re.M)
    return html.unescape(text)


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


def read_article(path: Path, max_bytes: int) -> tuple[str, str]:
    """Return (title, normalised text) of one article or raise SkipSource."""
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
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        raw = html_to_text(raw)
    elif suffix in (".md", ".markdown"):
        raw = markdown_to_text(raw)
    text = normalise(raw)
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 3:
        raise SkipSource(f"{path}: no readable text after markup was removed")
    return guess_title(text), text


def guess_title(text: str) -> str:
    """The first heading-like line of 4-20 words, else the start of the first line."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines[:8]:
        n = len(line.split())
        if 4 <= n <= 20 and not line.endswith((".", ",", ";", ":")) and not line.lower().startswith("by "):
            return line
    first = lines[0] if lines else ""
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."
