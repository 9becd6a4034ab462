"""Inline suppressions: `# copguard: ignore[...] -- reason` and `# noqa: COP...`."""

from __future__ import annotations

import textwrap

import pytest

from copguard_lint import suppressions
from copguard_lint.findings import Finding, Severity
from helpers import lint_text, make_engine, write_tree


def scan(source: str):
    return suppressions.scan("m.py", textwrap.dedent(source))


def kept(source: str, **kwargs):
    return [(f.rule, f.line) for f in lint_text(source, **kwargs).findings]


def finding(line: int, rule: str = "COP901") -> Finding:
    return Finding("m.py", line, 1, rule, line, 2, Severity.MEDIUM, "m")


# -- parsing comments ---------------------------------------------------------


def test_copguard_comment_with_codes_and_reason():
    (comment,) = scan("print(1)  # copguard: ignore[COP901, cop903] -- logging to our own console\n")
    assert comment.kind == "copguard"
    assert comment.codes == ("COP901", "COP903")
    assert comment.reason == "logging to our own console"
    assert comment.lines == (1,)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("# copguard: ignore[COP901] -- why", "why"),
        ("# copguard: ignore[COP901]: why", "why"),
        ("# copguard:ignore[COP901]", ""),
        ("#copguard: IGNORE[COP901] --   spaced  ", "spaced"),
    ],
)
def test_copguard_comment_spellings(text, reason):
    (comment,) = scan(f"print(1)  {text}\n")
    assert comment.codes == ("COP901",)
    assert comment.reason == reason


def test_noqa_codes_are_parsed_like_flake8():
    (comment,) = scan("print(1)  # noqa: E501,COP901 W291\n")
    assert comment.kind == "noqa"
    assert comment.codes == ("E501", "COP901", "W291")


def test_bare_noqa_has_no_codes_and_covers_nothing():
    (comment,) = scan("print(1)  # noqa\n")
    assert comment.codes == ()
    assert not suppressions.covers(comment, finding(1))


def test_text_in_strings_is_not_a_comment():
    assert scan("x = '# noqa: COP901'\ny = '# copguard: ignore[COP901]'\n") == ()


def test_unrelated_comments_are_not_suppressions():
    assert scan("x = 1  # a comment about noqa-style tools\n# copguard is great\n") == ()


# -- which lines a comment covers ----------------------------------------------


def test_copguard_comment_covers_its_whole_logical_line():
    (comment,) = scan(
        """\
        x = send(
            print(1),
            print(2),
        )  # copguard: ignore[COP901] -- fine
        y = print(3)
        """
    )
    assert comment.lines == (1, 2, 3, 4)


def test_copguard_comment_on_first_line_of_statement_covers_all_of_it():
    (comment,) = scan("x = send(  # copguard: ignore[COP901] -- fine\n    print(1),\n)\n")
    assert comment.lines == (1, 2, 3)


def test_copguard_comment_alone_covers_the_next_statement():
    (comment,) = scan(
        """\
        def f():
            # copguard: ignore[COP901] -- fine
            return send(
                print(1),
            )
        """
    )
    assert comment.line == 2
    assert comment.lines == (3, 4, 5)


def test_noqa_covers_what_flake8_covers():
    comments = scan(
        '''\
        x = send(
            print(1),  # noqa: COP901
        )  # noqa: COP903
        s = """
        text
        """  # noqa: COP902
        # noqa: COP901
        y = 1
        '''
    )
    assert [(c.line, c.lines) for c in comments] == [(2, (2,)), (3, (3,)), (6, (4, 5, 6)), (7, (7,))]


def test_untokenizable_text_falls_back_to_single_lines():
    comments = scan("x = (1,\n# copguard: ignore[COP001] -- generated\nprint(1)  # noqa: COP901\n")
    assert [(c.kind, c.line, c.lines) for c in comments] == [("copguard", 2, (2, 3)), ("noqa", 3, (3,))]


def test_prefix_codes_cover_every_code_they_start():
    (comment,) = scan("print(1)  # noqa: COP9\n")
    assert suppressions.covers(comment, finding(1, "COP901"))
    assert suppressions.covers(comment, finding(1, "COP903"))
    assert not suppressions.covers(comment, finding(1, "COP101"))
    assert not suppressions.covers(comment, finding(2, "COP901"))


def test_noqa_not_honoured_when_asked():
    (noqa,) = scan("print(1)  # noqa: COP901\n")
    (own,) = scan("print(1)  # copguard: ignore[COP901] -- r\n")
    assert not suppressions.covers(noqa, finding(1), honour_noqa=False)
    assert suppressions.covers(own, finding(1), honour_noqa=False)


# -- end to end through the engine ---------------------------------------------------


def test_suppressed_findings_are_kept_apart_with_their_comment():
    result = lint_text("print(1)  # copguard: ignore[COP901] -- console tool\nprint(2)\n")
    assert [(f.rule, f.line) for f in result.findings] == [("COP901", 2)]
    ((finding_, comment),) = result.suppressed
    assert (finding_.line, comment.reason) == (1, "console tool")


def test_line_above_form():
    source = """\
    # copguard: ignore[COP901] -- CLI output
    print(1)
    print(2)
    """
    assert kept(source) == [("COP901", 3)]


def test_line_above_form_reaches_across_a_multiline_call():
    source = """\
    # copguard: ignore[COP901] -- CLI output
    send(
        print(1),
    )
    print(2)
    """
    assert kept(source) == [("COP901", 5)]


def test_noqa_on_line_above_does_not_suppress():
    assert kept("# noqa: COP901\nprint(1)\n") == [("COP901", 2)]


def test_bare_noqa_does_not_silence_copguard():
    assert kept("print(1)  # noqa\n") == [("COP901", 1)]


def test_bare_copguard_ignore_silences_nothing():
    assert kept("print(1)  # copguard: ignore -- no code given\n") == [("COP901", 1)]


def test_noqa_with_code_suppresses_on_its_line():
    assert kept("print(1)  # noqa: COP901\nprint(2)\n") == [("COP901", 2)]


def test_noqa_for_other_codes_does_not_suppress():
    assert kept("print(1)  # noqa: E501, COP903\n") == [("COP901", 1)]


def test_prefix_code_in_copguard_comment():
    assert kept("print(input())  # copguard: ignore[COP9] -- demo\nprint(2)\n") == [("COP901", 2)]


def test_lowercase_codes():
    assert kept("print(1)  # noqa: cop901\n") == []


def test_comment_inside_a_multiline_statement_covers_the_statement():
    source = """\
    send(
        # copguard: ignore[COP901] -- both calls are fine
        print(1),
        print(2),
    )
    print(3)
    """
    assert kept(source) == [("COP901", 6)]


def test_suppressions_on_crlf_and_cr_files():
    for newline in ("\r\n", "\r"):
        source = newline.join(["x = 1", "print(x)  # noqa: COP901", "# copguard: ignore[COP901] -- r",
                               "print(x)", "print(x)", ""])
        engine = make_engine()
        result = engine.finish_run([engine.lint_source("m.py", source.encode())])
        assert [(f.rule, f.line) for f in result.findings] == [("COP901", 5)], repr(newline)


def test_suppression_of_cop001():
    source = "x = (  # copguard: ignore[COP001] -- generated file, checked upstream\n"
    result = lint_text(source)
    assert result.findings == ()
    assert len(result.suppressed) == 1
    assert len(result.errors) == 1  # still listed as not analysed


def test_project_rule_findings_can_be_suppressed(tmp_path):
    write_tree(tmp_path, {
        "a.py": "class Message:  # copguard: ignore[COP902] -- internal only\n    pass\n",
        "b.py": "class Message:\n    pass\n",
    })
    engine = make_engine()
    result = engine.run([(tmp_path / n, n) for n in ("a.py", "b.py")])
    assert [(f.rule, f.path) for f in result.findings] == [("COP902", "b.py")]
    assert [(f.rule, f.path) for f, _ in result.suppressed] == [("COP902", "a.py")]


def test_comment_only_applies_to_its_own_file(tmp_path):
    write_tree(tmp_path, {"a.py": "print(1)  # noqa: COP901\n", "b.py": "print(1)\n"})
    result = make_engine().run([(tmp_path / n, n) for n in ("a.py", "b.py")])
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("COP901", "b.py", 1)]
