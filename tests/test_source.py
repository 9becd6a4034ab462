"""Decoding source bytes the way Python does, and what the engine does with odd text."""

from __future__ import annotations

import codecs

import pytest

from copguard_lint.source import SourceError, decode_source, normalise_newlines, split_lines
from helpers import lint_text, make_engine


def lint_bytes(data: bytes, path: str = "mod.py"):
    engine = make_engine()
    return engine.finish_run([engine.lint_source(path, data)])


def found(result):
    return [(f.rule, f.line, f.column) for f in result.findings]


# -- decode_source -----------------------------------------------------------


def test_plain_utf8():
    text, encoding = decode_source("name = 'Zoë'\n".encode("utf-8"))
    assert (text, encoding) == ("name = 'Zoë'\n", "utf-8")


def test_bom_is_honoured_and_dropped():
    text, encoding = decode_source(codecs.BOM_UTF8 + "x = 'é'\n".encode("utf-8"))
    assert text == "x = 'é'\n"
    assert encoding == "utf-8-sig"


def test_latin1_cookie_on_first_line():
    data = "# -*- coding: latin-1 -*-\nname = 'Zoë'\n".encode("latin-1")
    text, encoding = decode_source(data)
    assert encoding == "iso-8859-1"
    assert "Zoë" in text


def test_cookie_on_second_line_after_shebang():
    data = "#!/usr/bin/env python\n# coding: latin-1\nname = 'Zoë'\n".encode("latin-1")
    text, _ = decode_source(data)
    assert "Zoë" in text


def test_cookie_on_third_line_is_not_a_cookie():
    data = "\n\n# coding: latin-1\nname = 'Zoë'\n".encode("latin-1")
    with pytest.raises(SourceError) as info:
        decode_source(data)
    assert info.value.line == 4
    assert "utf-8" in info.value.reason


def test_invalid_utf8_names_the_line_and_offset():
    data = b"x = 1\ny = '\xff'\n"
    with pytest.raises(SourceError) as info:
        decode_source(data)
    assert info.value.line == 2
    assert "0xff" in info.value.reason
    assert "PEP 263" in info.value.reason


def test_unknown_encoding_in_cookie():
    with pytest.raises(SourceError) as info:
        decode_source(b"# coding: klingon\nx = 1\n")
    assert "klingon" in info.value.reason


def test_bom_contradicting_cookie():
    with pytest.raises(SourceError):
        decode_source(codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n")


def test_nul_bytes_are_refused_with_their_line():
    with pytest.raises(SourceError) as info:
        decode_source(b"x = 1\ny = 2\n\x00\x00binary")
    assert info.value.line == 3
    assert "NUL" in info.value.reason


def test_split_lines_splits_only_where_python_does():
    text = "a = 1\r\nb = '\x0c'\rc = '\u2028'\nd = 1\x1c"
    assert split_lines(text) == ["a = 1", "b = '\x0c'", "c = '\u2028'", "d = 1\x1c"]
    assert split_lines("x\n") == ["x"]
    assert split_lines("x\n\n") == ["x", ""]
    assert split_lines("") == []


def test_normalise_newlines_keeps_line_numbers():
    text = "a\r\nb\rc\nd"
    assert normalise_newlines(text) == "a\nb\nc\nd"
    assert len(split_lines(text)) == len(split_lines(normalise_newlines(text)))


# -- through the engine --------------------------------------------------------


def test_bom_file_is_linted_with_correct_columns():
    result = lint_bytes(codecs.BOM_UTF8 + b"print(1)\n")
    assert found(result) == [("COP901", 1, 1)]


def test_bom_in_text_input_is_ignored_too():
    engine = make_engine()
    result = engine.finish_run([engine.lint_source("m.py", "\ufeffprint(1)\n")])
    assert found(result) == [("COP901", 1, 1)]


def test_latin1_file_is_linted():
    data = "# -*- coding: latin-1 -*-\nname = 'Zoë'\nprint(name)\n".encode("latin-1")
    assert found(lint_bytes(data)) == [("COP901", 3, 1)]


def test_invalid_utf8_is_cop001_not_a_crash():
    result = lint_bytes(b"print(1)\ny = '\xff'\n")
    assert found(result) == [("COP001", 2, 1)]
    assert "cannot be decoded as utf-8" in result.findings[0].message
    assert result.errors[0].path == "mod.py"


def test_nul_bytes_are_cop001():
    result = lint_bytes(b"print(1)\n\x00")
    assert [f.rule for f in result.findings] == ["COP001"]
    assert "NUL bytes" in result.findings[0].message


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_give_the_same_positions(newline):
    source = newline.join(["import os", "", "def f():", "    print(os.name)", "print(2)", ""])
    result = lint_bytes(source.encode())
    assert found(result) == [("COP901", 4, 5), ("COP901", 5, 1)]
    assert [(f.end_line, f.end_column) for f in result.findings] == [(4, 19), (5, 9)]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_do_not_change_fingerprints(newline):
    source = newline.join(["x = 1", "print(x)", "print(x)", ""])
    base = lint_bytes(source.replace(newline, "\n").encode())
    other = lint_bytes(source.encode())
    assert [f.fingerprint for f in other.findings] == [f.fingerprint for f in base.findings]
    assert len({f.fingerprint for f in other.findings}) == 2


def test_mixed_line_endings():
    result = lint_bytes(b"x = 1\r\nprint(x)\ny = 2\rprint(y)\r\n")
    assert found(result) == [("COP901", 2, 1), ("COP901", 4, 1)]


def test_form_feed_and_unicode_separators_do_not_shift_lines():
    # str.splitlines() would count \x0c and \u2028 as line breaks; Python does not.
    source = "x = '\x0c'\ny = '\u2028'\nprint(x)\n"
    result = lint_text(source)
    assert found(result) == [("COP901", 3, 1)]
    clean = lint_text("x = 'a'\ny = 'b'\nprint(x)\n")
    assert result.findings[0].fingerprint == clean.findings[0].fingerprint


def test_form_feed_at_line_start_is_whitespace():
    # (libcst drops a form feed that opens the file, so only lines are compared.)
    result = lint_text("\x0cprint(1)\n\x0c\nprint(2)\n\x0cprint(3)\n")
    assert [(f.rule, f.line) for f in result.findings] == [("COP901", 1), ("COP901", 3), ("COP901", 4)]


def test_file_without_trailing_newline():
    assert found(lint_text("x = 1\nprint(x)")) == [("COP901", 2, 1)]


def test_empty_and_blank_files():
    for source in ("", "\n", "   \n\n", "# only a comment\n"):
        result = lint_text(source)
        assert result.findings == ()
        assert result.errors == ()


def test_tabs_in_indentation_count_as_one_column():
    assert found(lint_text("if True:\n\tprint(1)\n")) == [("COP901", 2, 2)]


def test_non_ascii_before_a_finding_counts_characters_not_bytes():
    assert found(lint_text("x = 'ééé'; print(x)\n")) == [("COP901", 1, 12)]
