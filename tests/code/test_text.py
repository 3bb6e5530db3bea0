from __future__ import annotations

import pytest

from symcause.extraction.sentences import split_sentences
from symcause.extraction.text import (
    SkipSource,
    decode_bytes,
    html_to_text,
    markdown_to_text,
    normalise,
)


def test_normalise_quotes_dashes_and_blank_lines():
    raw = "Baker\u2019s cyst \u2014 behind   the knee\r\n\r\n\r\n\r\nNext\u00a0line  "
    assert normalise(raw) == "Baker's cyst - behind the knee\n\nNext line"


def test_headings_end_at_line_breaks_and_offsets_are_exact():
    text = "Piriformis Syndrome\nIt causes buttock pain. It stops above the knee.\n- Bullet item here"
    sents = split_sentences(text)
    got = [text[s.start:s.end] for s in sents]
    assert got == ["Piriformis Syndrome", "It causes buttock pain.", "It stops above the knee.", "Bullet item here"]
    assert sents[0].heading and not sents[1].heading
    assert sents[1].paragraph == sents[2].paragraph != sents[3].paragraph


def test_abbreviations_do_not_split():
    text = "Repetitive strain (e.g. jumping) hurts. Dr. Smith agrees."
    got = [text[s.start:s.end] for s in split_sentences(text)]
    assert got == ["Repetitive strain (e.g. jumping) hurts.", "Dr. Smith agrees."]


def test_label_of_bulleted_definition_is_recorded():
    text = "• Mechanism: Friction of the band over the bone."
    (s,) = split_sentences(text)
    assert text[s.start:s.label_end] == "Mechanism"


def test_html_markup_is_stripped_and_blocks_break_lines():
    html = "<html><head><title>T</title><script>x=1</script></head><body><h1>Hip Pain</h1><p>It <b>aches</b>.</p></body></html>"
    text = normalise(html_to_text(html))
    assert "x=1" not in text
    assert text.splitlines()[0] == "T"
    assert "Hip Pain\n\nIt aches." in text


def test_markdown_markup_is_stripped():
    md = "# Title\n\nSome **bold** and [a link](http://x) text.\n* item"
    assert normalise(markdown_to_text(md)) == "Title\n\nSome bold and a link text.\n- item"


@pytest.mark.parametrize("data, reason", [(b"", "empty"), (b"   \n", "empty"), (b"\x00\x01binary", "binary"),
                                          ("caf\u00e9 na\u00efve".encode("latin-1"), "not UTF-8")])
def test_unreadable_bytes_are_refused_with_a_reason(data, reason):
    with pytest.raises(SkipSource, match=reason):
        decode_bytes(data, "x.txt")
