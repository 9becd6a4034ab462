"""COP201-COP203: positive cases, negative cases and near misses per framework.

Each case is real-looking handler code; the expected codes are exact (rule
and count), so a rule that starts firing on a near miss, or stops firing on
an ungated sign-up, fails.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from copguard_lint.config import ConfigError, Settings, settings_from_table
from copguard_lint.engine import Engine
from copguard_lint.registry import known_codes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


COP201_203 = ("COP201", "COP202", "COP203")  # COP204-COP208 have their own tests (test_parental_rights_rules.py)


def run(files: Dict[str, str], **settings) -> List:
    engine = Engine(Settings(select=COP201_203, **settings))
    results = [engine.lint_source(path, textwrap.dedent(text)) for path, text in files.items()]
    return list(engine.finish_run(results).findings)


def lint(source: str, *, path: str = "app.py", **settings) -> List[str]:
    return [f.rule for f in run({path: source}, **settings)]


def messages(source: str, **settings) -> List[str]:
    return [f.message for f in run({"app.py": source}, **settings)]


# -- Flask ----------------------------------------------------------------------------

FLASK_SIGNUP = '''
    from flask import Blueprint, redirect, request, url_for
    from .models import User, db
    from .utils import calculate_age

    bp = Blueprint("auth", __name__)

    @bp.route("/signup", methods=["POST"])
    def signup():
        email = request.form["email"]
        birth_date = request.form.get("birth_date")
        {gate}
        user = User(email=email, birth_date=birth_date, first_name=request.form["first_name"])
        db.session.add(user)
        db.session.commit()
        return redirect(url_for("home"))
'''


def flask_signup(gate: str = "pass") -> str:
    return FLASK_SIGNUP.replace("{gate}", textwrap.indent(textwrap.dedent(gate), " " * 8).lstrip())


POSITIVE = {
    "flask-signup-no-gate": (flask_signup(), ["COP201"]),
    "flask-app-post": ('''
        from flask import Flask, request
        app = Flask(__name__)

        @app.post("/register")
        def register():
            data = request.get_json()
            db.session.add(Student(name=data["name"], date_of_birth=data["dob"], school=data["school"]))
            db.session.commit()
            return {"ok": True}
    ''', ["COP201"]),
    "flask-near-miss-range-validator": (flask_signup('''
        if birth_date is None or not 1900 <= birth_date.year <= 3000:
            return "pick a real date", 400
    '''), ["COP201"]),
    "flask-near-miss-captcha": (flask_signup('''
        if not verify_captcha(request.form.get("captcha")):
            abort(400)
    '''), ["COP201"]),
    "flask-near-miss-terms": (flask_signup('''
        if not request.form.get("accept_terms"):
            return "accept the terms", 400
    '''), ["COP201"]),
    "flask-near-miss-invite-code": (flask_signup('''
        if not check_invite_code(request.form["invite_code"]):
            abort(403)
    '''), ["COP201"]),
    "flask-methodview": ('''
        from flask import request
        from flask.views import MethodView

        class SignupAPI(MethodView):
            def post(self):
                payload = request.get_json()
                user = User(email=payload["email"], birthday=payload["birthday"])
                user.save()
                return "", 201
    ''', ["COP201"]),
    "flask-self-edit-of-birth-date": ('''
        from flask import Blueprint, request
        from flask_login import current_user, login_required
        bp = Blueprint("profile", __name__)

        @bp.route("/profile", methods=["POST"])
        @login_required
        def edit():
            current_user.date_of_birth = request.form["date_of_birth"]
            current_user.phone = request.form["phone"]
            db.session.commit()
            return "saved"
    ''', ["COP201"]),
    "flask-setattr-loop-with-birth-date": ('''
        from flask import Blueprint, request
        from flask_login import current_user, login_required
        bp = Blueprint("profile", __name__)
        FIELDS = ("first_name", "birth_date")

        @bp.route("/profile", methods=["POST"])
        @login_required
        def edit():
            for field in FIELDS:
                setattr(current_user, field, request.form[field])
            db.session.commit()
            return "saved"
    ''', ["COP201"]),
}

NEGATIVE = {
    "flask-age-comparison-gate": flask_signup('''
        if calculate_age(birth_date) < 13:
            return redirect(url_for("consent.ask_parent"))
    '''),
    "flask-age-var-gate": flask_signup('''
        age = calculate_age(birth_date)
        if age < 13:
            abort(403)
    '''),
    "flask-raising-check-call": flask_signup('''
        verify_age(birth_date)
    '''),
    "flask-predicate-check": flask_signup('''
        if not is_old_enough(birth_date):
            return redirect(url_for("consent.ask_parent"))
    '''),
    "flask-helper-gate-same-file": '''
        from flask import Blueprint, abort, request
        bp = Blueprint("auth", __name__)

        def _screen(form):
            if calculate_age(form["birth_date"]) < 13:
                abort(403)

        @bp.route("/signup", methods=["POST"])
        def signup():
            _screen(request.form)
            db.session.add(User(email=request.form["email"], birth_date=request.form["birth_date"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-consent-decorator": '''
        from flask import Blueprint, request
        from .consent import parental_consent_required
        bp = Blueprint("auth", __name__)

        @bp.route("/signup", methods=["POST"])
        @parental_consent_required
        def signup():
            db.session.add(User(email=request.form["email"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-decorator-factory": '''
        from flask import Blueprint, request
        bp = Blueprint("auth", __name__)

        @bp.route("/signup", methods=["POST"])
        @requires_parental_consent(age_limit=13)
        def signup():
            db.session.add(User(email=request.form["email"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-local-decorator-that-checks": '''
        from functools import wraps
        from flask import Blueprint, abort, request
        bp = Blueprint("auth", __name__)

        def screened(view):
            @wraps(view)
            def wrapped(*args, **kwargs):
                if not session_user().has_parental_consent:
                    abort(403)
                return view(*args, **kwargs)
            return wrapped

        @bp.route("/signup", methods=["POST"])
        @screened
        def signup():
            db.session.add(User(email=request.form["email"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-login-is-not-collection": '''
        from flask import Blueprint, request
        bp = Blueprint("auth", __name__)

        @bp.route("/login", methods=["POST"])
        def login():
            email = request.form["email"]
            user = User.query.filter_by(email=email).first()
            if user is None or not user.check_password(request.form["password"]):
                return "no", 401
            login_user(user)
            return "ok"
    ''',
    "flask-authenticated-post-owned-by-user": '''
        from flask import Blueprint, request
        from flask_login import current_user, login_required
        bp = Blueprint("posts", __name__)

        @bp.route("/posts", methods=["POST"])
        @login_required
        def create_post():
            db.session.add(Post(author=current_user, body=request.form["body"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-self-edit-without-age": '''
        from flask import Blueprint, request
        from flask_login import current_user, login_required
        bp = Blueprint("profile", __name__)

        @bp.route("/profile", methods=["POST"])
        @login_required
        def edit():
            current_user.first_name = request.form["first_name"]
            current_user.phone = request.form["phone"]
            db.session.commit()
            return "saved"
    ''',
    "flask-admin-only-endpoint": '''
        from flask import Blueprint, request
        bp = Blueprint("admin", __name__)

        @bp.route("/admin/users", methods=["POST"])
        @admin_required
        def create_user():
            db.session.add(User(email=request.form["email"], birth_date=request.form["birth_date"]))
            db.session.commit()
            return "ok"
    ''',
    "flask-parent-email-only-consent-request": '''
        from flask import Blueprint, request, session
        bp = Blueprint("consent", __name__)

        @bp.route("/ask-parent", methods=["POST"])
        def ask_parent():
            parent_email = request.form["parent_email"]
            consent = ParentalConsent(parent_email=parent_email, token_hash=hash_token(new_token()))
            db.session.add(consent)
            db.session.commit()
            send_consent_request.delay(consent.id)
            return "sent"
    ''',
    # Keeping a value in the session (a guest's order-lookup email) is not storing a record.
    "flask-session-is-not-a-record": '''
        from flask import Blueprint, request, session
        bp = Blueprint("orders", __name__)

        @bp.route("/orders/find", methods=["POST"])
        def find_order():
            session["order_email"] = request.form["email"]
            return "next"
    ''',
    "flask-not-a-route": '''
        from flask import request

        def save_user():
            db.session.add(User(email=request.form["email"]))
            db.session.commit()
    ''',
    "general-audience-adult-data": flask_signup(),
}

# Under `general`, only data whose name or owner says it is a child's counts.
NEGATIVE_SETTINGS = {"general-audience-adult-data": {"audience": "general"}}


# -- Django -------------------------------------------------------------------------------

DJANGO_FORM = '''
    from django import forms
    from django.shortcuts import redirect, render

    class SignupForm(forms.ModelForm):
        class Meta:
            model = User
            fields = ("username", "email", "date_of_birth")
        {clean}

    def signup(request):
        form = SignupForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            form.save()
            return redirect("home")
        return render(request, "signup.html", {"form": form})
'''


def django_form(clean: str = "") -> str:
    return DJANGO_FORM.replace("{clean}", textwrap.indent(textwrap.dedent(clean), " " * 8).lstrip())


POSITIVE.update({
    "django-function-view-form-save": (django_form(), ["COP201"]),
    "django-require-post-create-user": ('''
        from django.contrib.auth.models import User
        from django.views.decorators.http import require_POST
        from django.http import JsonResponse

        @require_POST
        def register(request):
            User.objects.create_user(request.POST["username"], request.POST["email"], request.POST["password"])
            return JsonResponse({"ok": True})
    ''', ["COP201"]),
    "django-createview-implicit": ('''
        from django.views.generic import CreateView

        class ChildSignupView(CreateView):
            model = Child
            fields = ["first_name", "date_of_birth", "school"]
    ''', ["COP201"]),
    "django-formview-form-valid": ('''
        from django.views.generic import FormView

        class SignupView(FormView):
            form_class = SignupForm

            def form_valid(self, form):
                Profile.objects.create(email=form.cleaned_data["email"], birth_date=form.cleaned_data["birth_date"])
                return super().form_valid(form)
    ''', ["COP201"]),
})

NEGATIVE.update({
    "django-form-clean-gate": django_form('''
        def clean_date_of_birth(self):
            dob = self.cleaned_data["date_of_birth"]
            if calculate_age(dob) < 13:
                raise forms.ValidationError("Ask a parent to sign you up.")
            return dob
    '''),
    "django-createview-login-required": '''
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views.generic import CreateView

        class ChildCreateView(LoginRequiredMixin, CreateView):
            model = Child
            fields = ["first_name", "date_of_birth"]
    ''',
    "django-createview-not-a-person": '''
        from django.views.generic import CreateView

        class ClassroomCreateView(CreateView):
            model = Classroom
            fields = ["name", "location"]
    ''',
    "django-createview-attaches-signed-in-user": '''
        from django.views.generic import CreateView

        class AddressCreateView(CreateView):
            model = UserAddress
            fields = ["first_name", "last_name", "postcode", "phone_number"]

            def get_form_kwargs(self):
                kwargs = super().get_form_kwargs()
                kwargs["user"] = self.request.user
                return kwargs
    ''',
    "django-view-with-method-decorator-gate": '''
        from django.utils.decorators import method_decorator
        from django.views import View

        @method_decorator(age_verified_required, name="dispatch")
        class SignupView(View):
            def post(self, request):
                User.objects.create(email=request.POST["email"])
                return redirect("home")
    ''',
})


# -- DRF -------------------------------------------------------------------------------------

DRF_SERIALIZER = '''
    from rest_framework import serializers

    class ChildSerializer(serializers.ModelSerializer):
        class Meta:
            model = Child
            fields = ["first_name", "date_of_birth", "parent_email"]
'''

POSITIVE.update({
    "drf-apiview-post": (DRF_SERIALIZER + '''
    from rest_framework.views import APIView
    from rest_framework.response import Response

    class RegisterChild(APIView):
        permission_classes = [AllowAny]

        def post(self, request):
            serializer = ChildSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(serializer.data, status=201)
    ''', ["COP201"]),
    "drf-viewset-perform-create": (DRF_SERIALIZER + '''
    from rest_framework import viewsets, mixins

    class SignUpViewSet(viewsets.GenericViewSet, mixins.CreateModelMixin):
        serializer_class = ChildSerializer

        def perform_create(self, serializer):
            self.check_facility_open(serializer)
            serializer.save()
    ''', ["COP201"]),
    "drf-create-and-perform-create-reported-once": (DRF_SERIALIZER + '''
    from rest_framework import mixins, viewsets

    class SignUp(viewsets.GenericViewSet, mixins.CreateModelMixin):
        serializer_class = ChildSerializer

        def create(self, request, *args, **kwargs):
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            self.perform_create(serializer)
            return Response(serializer.data)

        def perform_create(self, serializer):
            serializer.save()
    ''', ["COP201"]),
    "drf-api-view-function": ('''
        from rest_framework.decorators import api_view
        from rest_framework.response import Response

        @api_view(["POST"])
        def signup(request):
            Student.objects.create(name=request.data["name"], birth_year=request.data["birth_year"])
            return Response(status=201)
    ''', ["COP201"]),
})

NEGATIVE.update({
    "drf-permission-class-gate": DRF_SERIALIZER + '''
    from rest_framework import permissions
    from rest_framework.views import APIView

    class OldEnough(permissions.BasePermission):
        def has_permission(self, request, view):
            return calculate_age(request.data.get("date_of_birth")) >= 13

    class RegisterChild(APIView):
        permission_classes = [OldEnough]

        def post(self, request):
            serializer = ChildSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.save()
            return Response(status=201)
    ''',
    "drf-create-gates-perform-create": DRF_SERIALIZER + '''
    from rest_framework import mixins, viewsets

    class SignUp(viewsets.GenericViewSet, mixins.CreateModelMixin):
        serializer_class = ChildSerializer

        def create(self, request, *args, **kwargs):
            if calculate_age(request.data["date_of_birth"]) < 13:
                return Response(status=403)
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            self.perform_create(serializer)
            return Response(serializer.data)

        def perform_create(self, serializer):
            serializer.save()
    ''',
    "drf-authenticated-viewset": DRF_SERIALIZER + '''
    from rest_framework import viewsets
    from rest_framework.permissions import IsAuthenticated

    class ChildViewSet(viewsets.ModelViewSet):
        serializer_class = ChildSerializer
        permission_classes = [IsAuthenticated]
    ''',
    "drf-admin-only": DRF_SERIALIZER + '''
    from rest_framework.permissions import IsAdminUser
    from rest_framework.views import APIView

    class ImportChildren(APIView):
        permission_classes = [IsAdminUser]

        def post(self, request):
            serializer = ChildSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.save()
    ''',
    "drf-serializer-validate-gate": '''
    from rest_framework import serializers, viewsets

    class ChildSerializer(serializers.ModelSerializer):
        class Meta:
            model = Child
            fields = ["first_name", "date_of_birth"]

        def validate_date_of_birth(self, value):
            if value > date.today() - relativedelta(years=13):
                raise serializers.ValidationError("A parent must sign up for you.")
            return value

    class SignUpViewSet(viewsets.GenericViewSet):
        serializer_class = ChildSerializer

        def perform_create(self, serializer):
            serializer.save()
    ''',
})


# -- FastAPI ---------------------------------------------------------------------------------

FASTAPI_APP = '''
    from fastapi import APIRouter, Depends, FastAPI
    from pydantic import BaseModel

    app = FastAPI()

    class SignupIn(BaseModel):
        email: str
        birth_date: str
        display_name: str

    @app.post("/signup"{dependencies})
    def signup(payload: SignupIn{param}, db=Depends(get_db)):
        db.add(User(**payload.dict()))
        db.commit()
        return {"ok": True}
'''


def fastapi_app(dependencies: str = "", param: str = "") -> str:
    return FASTAPI_APP.replace("{dependencies}", dependencies).replace("{param}", param)


POSITIVE.update({
    "fastapi-body-model": (fastapi_app(), ["COP201"]),
    "fastapi-form-params": ('''
        from fastapi import FastAPI, Form
        app = FastAPI()

        @app.post("/join")
        async def join(email: str = Form(...), birthday: str = Form(...)):
            await Member.create(email=email, birthday=birthday)
            return {"ok": True}
    ''', ["COP201"]),
    "fastapi-near-miss-unrelated-dependency": (fastapi_app(", dependencies=[Depends(rate_limit)]"), ["COP201"]),
})

NEGATIVE.update({
    "fastapi-route-dependency": fastapi_app(", dependencies=[Depends(verify_age)]"),
    "fastapi-param-dependency": fastapi_app(param=", _=Depends(require_parental_consent)"),
    "fastapi-router-dependency": '''
        from fastapi import APIRouter, Depends
        router = APIRouter(dependencies=[Depends(check_age)])

        @router.post("/signup")
        def signup(email: str, birth_date: str, db=Depends(get_db)):
            db.add(User(email=email, birth_date=birth_date))
            db.commit()
    ''',
    "fastapi-current-user": '''
        from fastapi import Depends, FastAPI
        app = FastAPI()

        @app.post("/posts")
        def create_post(body: str, user=Depends(get_current_user), db=Depends(get_db)):
            db.add(Post(author=user, body=body))
            db.commit()
    ''',
})


# -- COP202 -------------------------------------------------------------------------------------

POSITIVE.update({
    "cop202-child-saved-then-consent-requested": ('''
        from flask import Blueprint, request
        bp = Blueprint("kids", __name__)

        @bp.route("/kids/signup", methods=["POST"])
        def signup():
            child = Child(first_name=request.form["first_name"], date_of_birth=request.form["dob"],
                          parent_email=request.form["parent_email"])
            db.session.add(child)
            db.session.commit()
            if calculate_age(child.date_of_birth) < 13:
                send_parental_consent_request(child.parent_email, child.id)
            return "check your parent's inbox"
    ''', ["COP202"]),
    "cop202-django-redirect-to-consent": ('''
        from django.shortcuts import redirect
        from django.views.decorators.http import require_POST

        @require_POST
        def join(request):
            Child.objects.create(name=request.POST["name"], birth_date=request.POST["birth_date"])
            return redirect("consent:ask_parent")
    ''', ["COP202"]),
})

NEGATIVE.update({
    "cop202-coppa-exception-name-and-parent-email": '''
        from flask import Blueprint, request
        bp = Blueprint("kids", __name__)

        @bp.route("/kids/start", methods=["POST"])
        def start():
            pending = PendingChild(first_name=request.form["first_name"], parent_email=request.form["parent_email"])
            db.session.add(pending)
            db.session.commit()
            send_consent_request(pending.parent_email)
            return "asked"
    ''',
    "cop202-consent-first": '''
        from flask import Blueprint, redirect, request, url_for
        bp = Blueprint("kids", __name__)

        @bp.route("/kids/signup", methods=["POST"])
        def signup():
            consent = find_granted_consent(request.form["token"])
            if consent is None:
                send_consent_request(request.form["parent_email"])
                return redirect(url_for("consent.pending"))
            db.session.add(Child(first_name=request.form["first_name"], date_of_birth=request.form["dob"]))
            db.session.commit()
            return "welcome"
    ''',
})


# -- COP203 -------------------------------------------------------------------------------------

POSITIVE.update({
    "cop203-threshold-below-consent-age": ('''
        from flask import Blueprint, flash, redirect, url_for
        from flask_login import current_user, login_required
        bp = Blueprint("chat", __name__)

        @bp.route("/chat/new", methods=["POST"])
        @login_required
        def start():
            age = calculate_age(current_user.birth_date)
            if age < 12 and not current_user.parent_approved:
                flash("Ask a parent to switch on chat.")
                return redirect(url_for("home"))
            return "ok"
    ''', ["COP203"]),
    "cop203-low-threshold-guarding-signup": (flask_signup('''
        if birth_date > date.today() - relativedelta(years=10):
            abort(403)
    '''), ["COP203"]),
    "cop203-guard-factory-argument": ('''
        from flask import Blueprint, request
        bp = Blueprint("auth", __name__)

        @bp.route("/signup", methods=["POST"])
        @requires_parental_consent(age_limit=12)
        def signup():
            db.session.add(User(email=request.form["email"]))
            db.session.commit()
    ''', ["COP203"]),
    "cop203-age-only-logged": (flask_signup('''
        age = calculate_age(birth_date)
        logger.info("age at signup: %s", age)
    '''), ["COP201", "COP203"]),
    "cop203-predicate-result-discarded": (flask_signup('''
        is_minor(birth_date)
    '''), ["COP201", "COP203"]),
    "cop203-branch-only-logs": (flask_signup('''
        if calculate_age(birth_date) < 13:
            logger.warning("a child is signing up")
    '''), ["COP201", "COP203"]),
})

NEGATIVE.update({
    "cop203-threshold-at-consent-age": '''
        def start(user):
            if user.age < 13 and not user.parent_approved:
                return "ask a parent"
    ''',
    "cop203-stricter-threshold": '''
        def start(user):
            if user.age < 16 and not user.has_parental_consent:
                return "ask a parent"
    ''',
    "cop203-low-age-for-ui-only": '''
        def theme_for(user):
            if user.age < 6:
                return "picture-book"
            return "default"
    ''',
    "cop203-age-used-to-decide": flask_signup('''
        age = calculate_age(birth_date)
        if age < 13:
            return redirect(url_for("consent.ask_parent"))
    '''),
    "cop203-max-age-cookie": '''
        from flask import Blueprint, make_response
        bp = Blueprint("x", __name__)

        @bp.route("/x")
        def x():
            max_age = 60 * 60
            response = make_response("ok")
            response.set_cookie("theme", "dark", max_age=max_age)
            return response
    ''',
})


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive(name: str) -> None:
    source, expected = POSITIVE[name]
    assert sorted(lint(source)) == sorted(expected)


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative(name: str) -> None:
    assert lint(NEGATIVE[name], **NEGATIVE_SETTINGS.get(name, {})) == []


# -- messages, settings, audiences ---------------------------------------------------------------


def test_cop201_message_names_handler_data_and_fix() -> None:
    [message] = messages(flask_signup())
    assert message.startswith("signup() stores personal data (date of birth, email address and first name)")
    assert "User(...) saved with db.session.add()" in message
    assert "no age gate" in message and "parental consent" in message and "under 13" in message


def test_cop201_edit_message_says_the_age_can_be_rewritten() -> None:
    [message] = messages(POSITIVE["flask-self-edit-of-birth-date"][0])
    assert message.startswith("edit() lets a signed-in user change their date of birth")
    assert "phone number" in message and "read-only" in message


def test_cop201_general_audience_still_counts_child_data() -> None:
    source = POSITIVE["flask-app-post"][0]  # Student(...): a child's record
    assert lint(source, audience="general") == ["COP201"]


def test_cop201_children_audience_words_the_data_as_a_childs() -> None:
    [message] = messages(flask_signup(), audience="children")
    assert "stores a child's date of birth, email address and first name" in message


def test_cop202_replaces_cop201_and_names_the_request() -> None:
    source = POSITIVE["cop202-child-saved-then-consent-requested"][0]
    [message] = messages(source)
    assert "before asking a parent for consent (send_parental_consent_request() comes after it)" in message
    # without COP202, the too-late age check leaves the sign-up ungated: COP201 reports it
    assert lint(source, ignore=("COP202",)) == ["COP201"]


def test_cop203_uses_the_configured_consent_age() -> None:
    source = NEGATIVE["cop203-threshold-at-consent-age"]
    assert lint(source) == []
    findings = run({"app.py": source}, consent_age=16)
    assert [f.rule for f in findings] == ["COP203"]
    assert "aged 13 to 15" in findings[0].message and "consent age is 16" in findings[0].message


def test_cop203_unenforced_message() -> None:
    found = [m for m in messages(POSITIVE["cop203-age-only-logged"][0]) if "never acts on it" in m]
    assert found and "only logged" in found[0]


def test_configured_gate_names() -> None:
    source = flask_signup("screen_user(request)")
    assert lint(source) == ["COP201"]
    table = {"age-gates": {"functions": ["screen_user"]}}
    settings = settings_from_table(table, "pyproject.toml", known_codes())
    engine = Engine(Settings(select=COP201_203, age_gates=settings.age_gates))
    result = engine.finish_run([engine.lint_source("app.py", textwrap.dedent(source))])
    assert result.findings == ()


@pytest.mark.parametrize("table, error", [
    ({"age-gates": ["verify"]}, "must be a table"),
    ({"age-gates": {"function": ["verify"]}}, "unknown key 'function'"),
    ({"age-gates": {"functions": "verify"}}, "must be a list"),
])
def test_age_gates_config_is_validated(table, error) -> None:
    with pytest.raises(ConfigError, match=error):
        settings_from_table(table, "pyproject.toml", known_codes())


# -- across files ----------------------------------------------------------------------------------

SIGNUP_USING_HELPER = '''
    from flask import Blueprint, request
    from .checks import {helper}
    bp = Blueprint("auth", __name__)

    @bp.route("/signup", methods=["POST"])
    def signup():
        {helper}(request.form)
        db.session.add(User(email=request.form["email"], date_of_birth=request.form["date_of_birth"]))
        db.session.commit()
        return "ok"
'''

CHECKS = '''
    from flask import abort

    def screen(form):
        if calculate_age(form["date_of_birth"]) < 13:
            abort(403)

    def tidy(form):
        if not form.get("email"):
            abort(400)
'''


def test_gate_in_helper_in_another_file() -> None:
    files = {"app/auth.py": SIGNUP_USING_HELPER.replace("{helper}", "screen"), "app/checks.py": CHECKS}
    assert [f.rule for f in run(files)] == []


def test_non_gate_helper_in_another_file_is_reported_in_the_project_pass() -> None:
    files = {"app/auth.py": SIGNUP_USING_HELPER.replace("{helper}", "tidy"), "app/checks.py": CHECKS}
    findings = run(files)
    assert [(f.path, f.rule, f.line) for f in findings] == [("app/auth.py", "COP201", 7)]


def test_decorator_in_another_file_by_body() -> None:
    files = {
        "app/auth.py": '''
            from flask import Blueprint, request
            from .guards import screened
            bp = Blueprint("auth", __name__)

            @bp.route("/signup", methods=["POST"])
            @screened
            def signup():
                db.session.add(User(email=request.form["email"]))
                db.session.commit()
        ''',
        "app/guards.py": '''
            from functools import wraps

            def screened(view):
                @wraps(view)
                def wrapped(*args, **kwargs):
                    if not current_user.has_parental_consent:
                        abort(403)
                    return view(*args, **kwargs)
                return wrapped
        ''',
    }
    assert run(files) == []


SERIALIZERS = '''
    from rest_framework import serializers

    class LearnerSerializer(serializers.ModelSerializer):
        class Meta:
            model = Learner
            fields = ("full_name", "birth_year", "gender")
        {validate}
'''

VIEWS = '''
    from rest_framework import viewsets
    from .serializers import LearnerSerializer

    class SignUpViewSet(viewsets.GenericViewSet):
        serializer_class = LearnerSerializer

        def perform_create(self, serializer):
            serializer.save()
'''


def test_serializer_in_another_file_gives_the_data() -> None:
    files = {"app/serializers.py": SERIALIZERS.replace("{validate}", ""), "app/views.py": VIEWS}
    findings = run(files)
    assert [(f.path, f.rule) for f in findings] == [("app/views.py", "COP201")]
    assert "birth year" in findings[0].message and "full name" in findings[0].message


def test_serializer_validation_in_another_file_is_a_gate() -> None:
    validate = '''
        def validate_birth_year(self, value):
            if date.today().year - value < 13:
                raise serializers.ValidationError("too young")
            return value
    '''
    serializers = SERIALIZERS.replace("{validate}", textwrap.indent(textwrap.dedent(validate), " " * 8).lstrip())
    assert run({"app/serializers.py": serializers, "app/views.py": VIEWS}) == []


def test_form_save_is_reported_only_when_no_view_uses_the_form() -> None:
    form = '''
        from django import forms

        class KidForm(forms.ModelForm):
            class Meta:
                model = Kid
                fields = ("nickname",)

            def save(self, commit=True):
                kid = super().save(commit=False)
                kid.date_of_birth = self.cleaned_data["date_of_birth"]
                kid.save()
                return kid
    '''
    view = '''
        from django.shortcuts import redirect
        from .forms import KidForm

        def add_kid(request):
            form = KidForm(request.POST)
            if form.is_valid():
                form.save()
            return redirect("home")
    '''
    alone = run({"kids/forms.py": form})
    assert [(f.path, f.rule) for f in alone] == [("kids/forms.py", "COP201")]
    assert "KidForm.save()" in alone[0].message
    both = run({"kids/forms.py": form, "kids/views.py": view})
    assert [(f.path, f.rule) for f in both] == [("kids/views.py", "COP201")]


# -- the example apps ------------------------------------------------------------------------------


def _example_findings(name: str) -> List:
    root = EXAMPLES / name
    engine = Engine(Settings(select=("COP2",)))
    results = [
        engine.lint_path(path, path.relative_to(EXAMPLES.parent).as_posix()) for path in sorted(root.glob("*.py"))
    ]
    return list(engine.finish_run(results).findings)


def test_kidschat_has_the_planted_cop2_problems() -> None:
    found = [(f.path, f.line, f.rule) for f in _example_findings("kidschat")]
    assert found == [
        ("examples/kidschat/auth.py", 30, "COP201"),  # signup(): no age gate before User(...)
        ("examples/kidschat/auth.py", 65, "COP203"),  # age computed and only logged
        ("examples/kidschat/chat.py", 51, "COP203"),  # `age < 12` below the consent age
        ("examples/kidschat/models.py", 155, "COP204"),  # ParentalConsent: child users, nothing deletes a user
        ("examples/kidschat/models.py", 155, "COP205"),  # ParentalConsent.parent_email never purged
        ("examples/kidschat/models.py", 174, "COP208"),  # AgeVerification.selfie kept after the check
        ("examples/kidschat/parents.py", 16, "COP207"),  # ask_parent(): parent's email stored, no notice sent
        ("examples/kidschat/parents.py", 26, "COP206"),  # PrizeDrawEntry requires phone and home address
        ("examples/kidschat/profile.py", 34, "COP201"),  # edit() rewrites the birth date ungated
        ("examples/kidschat/shop.py", 22, "COP209"),  # buy_gems(): Stripe charge, no approval or spend limit
        ("examples/kidschat/shop.py", 34, "COP209"),  # buy_sticker(): gems debited, no spend limit
        ("examples/kidschat/shop.py", 45, "COP209"),  # open_mystery_egg(): a paid random pet (loot box)
    ]


def test_kidschat_safe_is_quiet() -> None:
    assert _example_findings("kidschat_safe") == []


def test_kidschat_per_file_as_flake8_sees_it() -> None:
    """Without the project pass (flake8), the planted problems are still found file by file."""
    engine = Engine(Settings(select=("COP2",)))
    for name, expected in (("kidschat", 7), ("kidschat_safe", 0)):  # COP204/COP205/COP209 need the project pass
        results = [engine.lint_path(p, p.name) for p in sorted((EXAMPLES / name).glob("*.py"))]
        assert len(engine.finish_run(results, project=False).findings) == expected
