"""The guard analysis: which age and consent checks hold at a node."""

from __future__ import annotations

import textwrap
from typing import List, Optional, Sequence, Tuple

import libcst as cst
import pytest

from copguard_lint.analysis.entrypoints import EntryPointAnalysis
from copguard_lint.analysis.guards import (
    GuardAnalysis, GuardVocabulary, find_project_summary, project_summaries, summary_gates, vocabulary_for,
)
from copguard_lint.config import Settings
from copguard_lint.context import FileContext
from copguard_lint.data_files import load_data
from copguard_lint.engine import Engine
from copguard_lint.project import Project


def analyse(source: str, path: str = "app.py", settings: Optional[Settings] = None) -> GuardAnalysis:
    text = textwrap.dedent(source)
    module = cst.parse_module(text)
    ctx = FileContext(path, text, module, settings or Settings())
    entries = EntryPointAnalysis(ctx)
    guards = GuardAnalysis(ctx)
    ctx.add_analysis(entries)
    ctx.add_analysis(guards)
    entries.visit_Module(module)
    return guards


def function(guards: GuardAnalysis, name: str) -> cst.FunctionDef:
    return guards.entry_points.functions[name]


def marker(guards: GuardAnalysis, name: str) -> cst.CSTNode:
    """The call `mark()` in function `name`: the node the tests ask about."""
    from copguard_lint.analysis.guards import _walk_nodes

    for node in _walk_nodes(function(guards, name)):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "mark":
            return node
    raise AssertionError("no mark() call")


def held(source: str, name: str = "view", kinds: Optional[Sequence[str]] = None) -> List[Tuple[str, str]]:
    guards = analyse(source)
    return [(g.kind, g.how) for g in guards.dominating(function(guards, name), marker(guards, name), kinds)]


# -- names ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocab() -> GuardVocabulary:
    return GuardVocabulary(load_data("guards.toml"))


@pytest.mark.parametrize("name, kinds", [
    ("verify_age", {"age"}),
    ("is_old_enough", {"age"}),
    ("is_minor", {"age"}),
    ("age_verified", {"age"}),
    ("coppa_gate", {"age"}),
    ("has_parental_consent", {"consent"}),
    ("requires_parental_consent", {"consent"}),
    ("parental_consent_required", {"consent"}),
    ("parent_approved", {"consent"}),
    ("HasParentalConsent", {"consent"}),
    ("IsOverMinimumAge", {"age"}),
    ("analytics_consent", {"opt-in"}),
    ("has_cookie_consent", {"opt-in"}),
    ("parental_analytics_consent", {"consent"}),
    # not guards
    ("calculate_age", set()),  # an age value: a comparison makes it a guard
    ("birth_date", set()),
    ("page", set()),
    ("message_age", set()),
    ("is_admin", set()),
    ("IsAdminUser", set()),
    ("verify_captcha", set()),
    ("accept_terms", set()),
    ("check_invite_code", set()),
    ("terms_consent", set()),
    ("parent_email", set()),
])
def test_name_kinds(vocab: GuardVocabulary, name: str, kinds) -> None:
    assert set(vocab.name_kinds(name)) == kinds


@pytest.mark.parametrize("name, role", [
    ("verify_age", "enforcing"), ("require_parental_consent", "enforcing"), ("consent_required", "enforcing"),
    ("is_minor", "predicate"), ("has_parental_consent", "predicate"), ("calculate_age", "value"),
    ("send_consent_request", "request"), ("ask_parent_for_consent", "request"),
])
def test_roles(vocab: GuardVocabulary, name: str, role: str) -> None:
    assert vocab.role(name) == role


def test_consent_requests_and_age_values(vocab: GuardVocabulary) -> None:
    assert vocab.is_consent_request("send_parental_consent_email")
    assert vocab.is_consent_request("email_parent_verification")
    assert not vocab.is_consent_request("has_parental_consent")
    assert not vocab.is_consent_request("send_welcome_email")
    assert vocab.is_age_value_name("child_age") and vocab.is_age_value_name("date_of_birth")
    assert not vocab.is_age_value_name("max_age") and not vocab.is_age_value_name("token_age")
    assert vocab.is_birth_name("dob") and not vocab.is_birth_name("age")
    assert vocab.is_threshold_name("CONSENT_AGE") and vocab.is_threshold_name("settings.MINIMUM_AGE")
    assert vocab.is_threshold_name("min_age") and not vocab.is_threshold_name("AGE_LABELS")


def test_configured_names_extend_the_vocabulary() -> None:
    settings = Settings(age_gates=(("functions", ("kid_screen",)),))
    assert vocabulary_for(settings).functions.matches("app.checks.kid_screen")
    assert not vocabulary_for(Settings()).functions.matches("kid_screen")


# -- comparisons -------------------------------------------------------------------------------


def comparison(source: str):
    guards = analyse("def f():\n    return " + source + "\n")
    node = cst.parse_expression(source)
    assert isinstance(node, cst.Comparison)
    return guards.age_comparison(node)


@pytest.mark.parametrize("text, threshold", [
    ("age < 13", 13),
    ("age >= 13", 13),
    ("age <= 12", 13),
    ("age > 12", 13),
    ("13 > age", 13),
    ("calculate_age(user.birth_date) < 12", 12),
    ("user.age < MIN_AGE", None),  # a constant from elsewhere: a threshold of unknown value
    ("dob > date.today() - relativedelta(years=13)", 13),
    ("birth_year > date.today().year - 16", 16),
    ("(date.today() - dob).days // 365 < 13", 13),
    ("13 <= age <= 120", 13),
])
def test_age_thresholds(text: str, threshold: Optional[int]) -> None:
    found = comparison(text)
    assert found is not None and found.kind == "age" and found.threshold == threshold


@pytest.mark.parametrize("text", [
    "1900 <= birth_date.year <= date.today().year",  # a range validation, not a gate
    "birth_year < 1900",
    "age < 0",
    "age > 120",
    "max_age < 3600",
    "page < 13",
    "len(name) < 13",
])
def test_not_age_thresholds(text: str) -> None:
    assert comparison(text) is None


# -- dominance -----------------------------------------------------------------------------------


def test_if_with_early_exit_guards_what_follows() -> None:
    assert held('''
        def view(request):
            if calculate_age(request.form["dob"]) < 13:
                return redirect("/consent")
            mark()
    ''') == [("age", "comparison")]


def test_if_without_exit_does_not_guard() -> None:
    assert held('''
        def view(request):
            if calculate_age(request.form["dob"]) < 13:
                logger.info("child")
            mark()
    ''') == []


def test_guard_after_the_node_does_not_count() -> None:
    assert held('''
        def view(request):
            mark()
            if not has_parental_consent(request.user):
                abort(403)
    ''') == []


def test_enclosing_if_test_guards_its_branches() -> None:
    assert held('''
        def view(user):
            if user.age >= 13:
                mark()
    ''') == [("age", "comparison")]


def test_age_variable_and_consent_record() -> None:
    assert held('''
        def view(request):
            age = calculate_age(request.form["dob"])
            if age < CONSENT_AGE:
                consent = find_consent(request)
                if consent is None:
                    return redirect("/ask-parent")
            mark()
    ''') == [("age", "comparison")]


def test_raising_check_calls_try_blocks_and_asserts() -> None:
    assert held('''
        def view(request):
            try:
                verify_age(request.form["dob"])
            except TooYoung:
                return redirect("/consent")
            mark()
    ''') == [("age", "call")]
    assert held('''
        def view(user):
            assert user.has_parental_consent, "consent first"
            mark()
    ''') == [("consent", "check")]


def test_predicate_call_as_a_statement_is_not_enforced() -> None:
    guards = analyse('''
        def view(dob):
            is_minor(dob)
            mark()
    ''')
    assert guards.dominating(function(guards, "view"), marker(guards, "view")) == []
    [site] = guards.guards_in(function(guards, "view"))
    assert site.kind == "age" and not site.enforced


def test_helpers_of_the_same_file() -> None:
    source = '''
        def screen_signup(dob):
            if calculate_age(dob) < 13:
                raise PermissionDenied()

        def fits_policy(dob):
            return calculate_age(dob) >= 13

        def tidy(form):
            if not form.get("email"):
                raise ValueError("email")

        def view(form):
            screen_signup(form["dob"])
            mark()

        def view2(form):
            if not fits_policy(form["dob"]):
                return None
            mark()

        def view3(form):
            tidy(form)
            mark()
    '''
    assert held(source, "view") == [("age", "helper")]
    assert held(source, "view2") == [("age", "helper")]
    assert held(source, "view3") == []
    guards = analyse(source)
    assert guards.summary("screen_signup").raises and guards.summary("fits_policy").predicate
    assert guards.summary("tidy") is None


def test_decorators_dependencies_and_permission_classes() -> None:
    assert held('''
        from flask import Blueprint
        bp = Blueprint("x", __name__)

        def kid_safe(view):
            def wrapped(*args, **kwargs):
                if not current_user.has_parental_consent:
                    abort(403)
                return view(*args, **kwargs)
            return wrapped

        @bp.route("/a", methods=["POST"])
        @kid_safe
        def view():
            mark()
    ''') == [("consent", "decorator")]
    assert held('''
        from fastapi import Depends, FastAPI
        app = FastAPI()

        @app.post("/a", dependencies=[Depends(verify_age)])
        def view(db=Depends(get_db)):
            mark()
    ''') == [("age", "dependency")]
    assert held('''
        from rest_framework import permissions
        from rest_framework.views import APIView

        class OldEnough(permissions.BasePermission):
            def has_permission(self, request, view):
                return request.user.age >= 13

        class View(APIView):
            permission_classes = [permissions.IsAdminUser, OldEnough]

            def post(self, request):
                mark()
    ''', "View.post") == [("age", "permission")]


def test_admin_captcha_terms_and_invites_are_not_guards() -> None:
    assert held('''
        def view(request):
            if not request.user.is_staff:
                abort(403)
            if not verify_captcha(request.form["captcha"]):
                abort(400)
            if not request.form.get("accept_terms"):
                return "accept the terms"
            if not check_invite_code(request.form["code"]):
                abort(403)
            mark()
    ''') == []


def test_kinds_filter_and_opt_in() -> None:
    source = '''
        def view(user):
            if not user.analytics_consent:
                return
            if user.is_minor:
                return
            mark()
    '''
    assert sorted(held(source)) == [("age", "check"), ("opt-in", "check")]
    assert held(source, kinds={"consent"}) == []
    assert held(source, kinds={"opt-in"}) == [("opt-in", "check")]


def test_consent_requests_and_order() -> None:
    guards = analyse('''
        def view(request):
            child = Child(name=request.form["name"])
            child.save()
            send_consent_request(child.parent_email)
            return redirect(url_for("consent.ask_parent"))
    ''')
    view = function(guards, "view")
    found = [text for _, text in guards.consent_requests(view)]
    assert found == ["send_consent_request()", "url_for('consent.ask_parent')"]
    save = guards.index(view).statements[1]
    ask = guards.consent_requests(view)[0][0]
    assert guards.runs_after(view, save, ask) and not guards.runs_after(view, ask, save)


def test_exclusive_branches_do_not_run_after_each_other() -> None:
    guards = analyse('''
        def view(flag):
            if flag:
                first()
            else:
                second()
    ''')
    view = function(guards, "view")
    statements = guards.index(view).statements
    first, second = statements[1], statements[2]
    assert not guards.runs_after(view, first, second)


def test_unresolved_calls_in_guard_positions() -> None:
    guards = analyse('''
        from flask import abort
        from .checks import screen, is_ok
        from .models import User

        def view(form):
            screen(form)
            if not is_ok(form):
                abort(403)
            abort(400) if False else None
            mark()
    ''', path="app/views.py")
    found = guards.unresolved_before(function(guards, "view"), marker(guards, "view"))
    assert [(u.callee, u.how) for u in found] == [(".checks.screen", "statement"), (".checks.is_ok", "test")]


def test_summaries_are_facts_for_the_project_pass() -> None:
    engine = Engine(Settings(select=("COP201",)))
    result = engine.lint_source("app/checks.py", textwrap.dedent('''
        def screen(form):
            if calculate_age(form["dob"]) < 13:
                raise PermissionDenied()

        def consent_ok(user):
            return user.has_parental_consent
    '''))
    project = Project(result.facts, Settings())
    summaries = project_summaries(project)
    assert summaries["app.checks.screen"]["raises"] and summaries["app.checks.screen"]["kinds"] == {"age"}
    assert summaries["app.checks.consent_ok"]["predicate"]
    found = find_project_summary(project, ".checks.screen", "app.views")
    assert summary_gates(found, "statement") and summary_gates(found, "test")
    predicate = find_project_summary(project, "app.checks.consent_ok", "app.views")
    assert summary_gates(predicate, "test") and not summary_gates(predicate, "statement")
