"""Tables in articles: comparison tables scope each cell to the condition its row (or column) names.

A table is a run of table-row sentences (Markdown "| a | b |" or an HTML row the reader renders
"a | b | c"). When most body rows start with a condition of the document, the table is row-oriented: each
cell belongs to its row's condition, and its column header says what the cell is ("Eased by" -> relieving
factors, "Typical patient" -> demographics, "Where it hurts" -> pain sites, "How it starts" -> onset,
"Key clue" / "Key test" -> examination findings). When the header cells name conditions, it is
column-oriented: each row is a feature (its first cell) and each cell says how that feature goes with the
column's condition ("No", "Usually", "Common, in foot", "Often positive"). Every fact cites the whole row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symcause.core.vocab import Match
from symcause.extraction.conditions import ConditionMention, DocCondition
from symcause.extraction.document import Document
from symcause.extraction.facts import Row, fact_id, fact_row, factor_facts, is_site, symptom_facts
from symcause.extraction.names import canonical_name
from symcause.extraction.rules import Rules
from symcause.extraction.sentences import Sentence


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    text: str


@dataclass
class Grid:
    header: list[Cell]
    rows: list[tuple[int, list[Cell]]]      # (sentence index, cells) of the body rows
    by_row: dict[int, str]                  # sentence index -> condition key (row-oriented)
    by_column: dict[int, str]               # column -> condition key (column-oriented)


def cells(text: str, s: Sentence) -> list[Cell]:
    """The cells of a table-row sentence with their offsets (empty edge cells of "| a | b |" dropped)."""
    line = text[s.start:s.end]
    out: list[Cell] = []
    pos = 0
    for part in line.split("|"):
        lead = len(part) - len(part.lstrip())
        body = part.strip()
        if body:
            start = s.start + pos + lead
            out.append(Cell(start, start + len(body), body))
        pos += len(part) + 1
    return out


_HEADER_KINDS = (
    ("aggravating", re.compile(r"worse|brought on|bring|trigger|aggravat|provok|hurts? (?:with|when|on)|painful", re.I)),
    ("relieving", re.compile(r"eased|eases|better|reliev|helps?\b|settles", re.I)),
    ("onset", re.compile(r"start|onset|begin|began|comes? on|mechanism|how it happens", re.I)),
    ("demographic", re.compile(r"\bwho\b|patient|person|people|age|affects|typical (?:patient|person)", re.I)),
    ("exam", re.compile(r"test|sign|clue|exam|finding|tell-?tale|key feature", re.I)),
    ("risk", re.compile(r"risk|cause[sd]? by|linked", re.I)),
    ("site", re.compile(r"where|site|location|hurts|pain felt|main pain", re.I)),
)


def header_kind(text: str) -> str | None:
    for kind, rx in _HEADER_KINDS:
        if rx.search(text):
            return kind
    return None


def _lookup(conditions: dict[str, DocCondition], mentions: list[list[ConditionMention]], doc: Document
            ) -> dict[str, str]:
    """Canonical names, aliases and written forms of the document's conditions -> their keys."""
    out: dict[str, str] = {}
    for key, c in conditions.items():
        for name in (c.name, *c.aliases):
            out.setdefault(canonical_name(name), key)
    for named in mentions:
        for m in named:
            if m.key in conditions:
                out.setdefault(canonical_name(doc.text[m.start:m.end]), m.key)
    return out


_GENERIC = {"the", "a", "of", "from", "in", "and", "or", "syndrome", "pain", "disease", "injury", "irritation", "muscle"}


def condition_of(text: str, lookup: dict[str, str]) -> str | None:
    """The condition a cell names: exactly, or by its words (all of the cell's words in a name, or all of a
    name's words in the cell), with at least one distinctive word shared."""
    key = canonical_name(re.sub(r"\s*\([^)]*\)", "", text))
    if key in lookup:
        return lookup[key]
    words = set(key.split()) - _GENERIC
    if not words:
        return None
    best: tuple[int, str] | None = None
    for name, cid in lookup.items():
        nwords = set(name.split()) - _GENERIC
        if nwords and (words <= nwords or nwords <= words):
            score = len(words & nwords)
            if best is None or score > best[0]:
                best = (score, cid)
    return best[1] if best else None


def find_grids(doc: Document, conditions: dict[str, DocCondition], mentions: list[list[ConditionMention]]
               ) -> dict[int, tuple[Grid, int]]:
    """Each table-row sentence of an oriented table -> (its table, the row's position among the body rows)."""
    lookup = _lookup(conditions, mentions, doc)
    runs: list[list[int]] = []
    for k, s in enumerate(doc.sentences):
        if not s.table:
            continue
        if runs and runs[-1][-1] == k - 1 and doc.sentences[k - 1].paragraph == s.paragraph:
            runs[-1].append(k)
        else:
            runs.append([k])
    out: dict[int, tuple[Grid, int]] = {}
    for run in runs:
        if len(run) < 2:
            continue
        header = cells(doc.text, doc.sentences[run[0]])
        rows = [(k, cells(doc.text, doc.sentences[k])) for k in run[1:]]
        by_row = {k: cid for k, cs in rows if cs and (cid := condition_of(cs[0].text, lookup))}
        by_column = {j: cid for j, c in enumerate(header) if j and (cid := condition_of(c.text, lookup))}
        grid = Grid(header, rows, by_row if 2 * len(by_row) >= len(rows) else {},
                    by_column if len(by_column) >= 2 and 2 * len(by_row) < len(rows) else {})
        if grid.by_row or grid.by_column:
            for i, (k, _) in enumerate(rows):
                out[k] = (grid, i)
    return out


_NEGATIVE_CELL = re.compile(r"^(?:no|none|absent|usually absent|normal|usually normal|not\b|never|negative|"
                            r"usually negative|unaffected|rarely)", re.I)


def _cite(rows: list[Row], doc: Document, k: int, j: int) -> list[Row]:
    """Rows produced from a cell, re-cited to the whole table row (ids stay unique per cell)."""
    s = doc.sentences[k]
    evidence = doc.text[s.start:s.end]
    out = []
    for r in rows:
        r = dict(r, evidence=evidence, char_start=s.start, char_end=s.end)
        r["fact_id"] = fact_id(r["fact_id"], "cell", j)
        out.append(r)
    return out


def grid_facts(rules: Rules, doc: Document, k: int, grid: Grid, i: int, conditions: dict[str, DocCondition]
               ) -> tuple[list[Row], list[Row]]:
    """Facts of body row i (sentence k) of an oriented table."""
    facts: list[Row] = []
    factors: list[Row] = []
    _, row = grid.rows[i]
    ms_all = doc.matches[k]

    def within(*cs: Cell) -> list[Match]:
        return [m for m in ms_all if any(c.start <= m.start and m.end <= c.end for c in cs)]

    if grid.by_row:
        key = grid.by_row.get(k)
        if key is None:
            return facts, factors
        cid = conditions[key].condition_id
        for j, cell in enumerate(row[1:], start=1):
            head = grid.header[j].text if j < len(grid.header) else ""
            hk = header_kind(head)
            s = Sentence(cell.start, cell.end, doc.sentences[k].line, doc.sentences[k].paragraph, False, 0, True)
            ms = within(cell)
            cell_facts = symptom_facts(rules, doc.source_id, key, s, cell.text, ms, [], conditions, False)
            if hk == "site" and not any(m.kind == "symptom" for m in ms):
                cell_facts += [fact_row(rules, doc.source_id, cid, s, cell.text, "pain", m.value, None, False, False,
                                        "rule:table_site", 0.7) for m in ms if m.kind == "region"
                               and is_site(rules, cell.text, m.start - cell.start, m.end - cell.start)
                               # "Outer thigh, stopping above the knee": where the pain ends, not where it is
                               and not any(b.kind == "boundary" and 0 <= m.start - b.end <= 6 for b in ms)]
            cue = hk if hk in ("aggravating", "relieving", "risk") else None
            cell_factors = factor_facts(rules, doc.source_id, cid, s, cell.text, ms, [], False, False, cue,
                                        demographic_context=hk == "demographic", onset_context=hk == "onset")
            facts += _cite(cell_facts, doc, k, j)
            factors += _cite(cell_factors, doc, k, j)
        return facts, factors
    label = row[0] if row else None
    if label is None:
        return facts, factors
    hk = header_kind(label.text)
    for j, key in grid.by_column.items():
        if j >= len(row):
            continue
        value = row[j]
        cid = conditions[key].condition_id
        s = Sentence(label.start, value.end, doc.sentences[k].line, doc.sentences[k].paragraph, False, 0, True)
        ms = within(label, value)
        negated = bool(_NEGATIVE_CELL.match(value.text))
        text = doc.text[s.start:s.end]
        cell_facts = symptom_facts(rules, doc.source_id, key, s, text, ms, [], conditions, False)
        cue = hk if hk in ("aggravating", "relieving", "risk") else None
        cell_factors = factor_facts(rules, doc.source_id, cid, s, text, ms, [], False, False, cue,
                                    demographic_context=hk == "demographic", onset_context=hk == "onset")
        if negated:
            cell_facts = [dict(r, negated=True) for r in cell_facts]
            cell_factors = [dict(r, negated=True) for r in cell_factors]
        facts += _cite(cell_facts, doc, k, j)
        factors += _cite(cell_factors, doc, k, j)
    return facts, factors
