"""Splitting normalised text into sentences with offsets; every line break ends a sentence.

Headings have no final period, so a line is always a unit: a heading never merges into the next
sentence and evidence offsets stay exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    line: int
    paragraph: int
    heading: bool
    label_end: int  # end offset of a leading "Label:" (0 if none)
    table: bool = False  # a row of a table (Markdown "| a | b |" or an HTML row rendered "a | b"): one sentence


_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|dr|mr|mrs|ms|st|fig|no|cf|al|ca)\.|\b[A-Z]\.)$", re.I)
_SPLIT = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^(?:[-*+\u2022\u25cf\u25aa\u2023\u2043\u00b7o]|\d{1,2}[.)])\s+")
_TABLE_RULE = re.compile(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?")


def is_table_row(line: str) -> bool:
    """A Markdown table row ("| a | b |") or an HTML table row as the reader renders it ("a | b | c", and a
    two-column "a | b")."""
    return line.startswith("|") and line.count("|") >= 2 or " | " in line


_NUMBERED = re.compile(r"^(?:\d{1,2}|[A-Z])[.)]\s+")
_LABEL = re.compile(r"^([A-Z][^:.!?]{1,60}):\s+")


def _is_heading(line: str) -> bool:
    words = line.split()
    if not words or len(words) > 14:
        return False
    if line.endswith("?"):
        return True
    return line[-1] not in ".!:;,"


def split_sentences(text: str, headings: frozenset[str] = frozenset()) -> list[Sentence]:
    """Sentences with offsets into `text`.

    A line break always ends a sentence (headings have no final period), bullets are
    stripped from the span, and a leading "Label:" of a bulleted definition is recorded.
    `headings` are lines the markup declared as headings (HTML h1-h6, Markdown #): they are
    headings whatever they look like ("1. Bertolotti syndrome"); other lines are judged by shape.
    """
    out: list[Sentence] = []
    pos = 0
    paragraph = 0
    prev_blank = True
    for line_no, line in enumerate(text.split("\n")):
        line_start = pos
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped or re.fullmatch(r"[-*\u2022_=]+", stripped) or _TABLE_RULE.fullmatch(stripped):
            if not stripped:
                prev_blank = True
            continue
        offset = line_start + (len(line) - len(line.lstrip()))
        if is_table_row(stripped):
            if prev_blank or not out or not out[-1].table:
                paragraph += 1
            prev_blank = False
            out.append(Sentence(offset, offset + len(stripped), line_no, paragraph, False, 0, True))
            continue
        body = stripped
        declared = stripped in headings
        bullet = None if declared else _BULLET.match(body)
        if bullet:
            offset += bullet.end()
            body = body[bullet.end():]
        elif declared and (number := _NUMBERED.match(body)):  # "2. Baastrup disease": the number is not the name
            offset += number.end()
            body = body[number.end():]
        heading = declared or (_is_heading(body) and not bullet)
        if prev_blank or heading or bullet or not out or out[-1].heading:
            paragraph += 1
        prev_blank = False
        label = _LABEL.match(body)
        label_end = offset + label.end(1) if label and not heading else 0
        cursor = 0
        pieces: list[tuple[int, int]] = []
        for m in _SPLIT.finditer(body):
            cut = m.start() + len(m.group(0).rstrip())
            # (an abbreviation is at most 7 characters: the search need not read the whole sentence so far)
            if _ABBREV.search(body, max(cursor, m.start() - 11), m.start() + 1):
                continue
            pieces.append((cursor, cut))
            cursor = m.end()
        pieces.append((cursor, len(body)))
        for a, b in pieces:
            seg = body[a:b]
            lead = len(seg) - len(seg.lstrip())
            seg = seg.strip()
            if not seg:
                continue
            s = offset + a + lead
            out.append(Sentence(s, s + len(seg), line_no, paragraph, heading, label_end if a == 0 else 0))
    return out
