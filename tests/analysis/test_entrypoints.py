"""The entry-point analysis: which functions a framework calls with a request."""

from __future__ import annotations

import textwrap
from typing import Dict

import libcst as cst

from copguard_lint.analysis.entrypoints import EntryPoint, EntryPointAnalysis
from copguard_lint.config import Settings
from copguard_lint.context import FileContext


def analyse(source: str, path: str = "app.py") -> EntryPointAnalysis:
    text = textwrap.dedent(source)
    module = cst.parse_module(text)
    ctx = FileContext(path, text, module, Settings())
    analysis = EntryPointAnalysis(ctx)
    ctx.add_analysis(analysis)
    analysis.visit_Module(module)
    return analysis


def entries(source: str) -> Dict[str, EntryPoint]:
    return {entry.qualname: entry for entry in analyse(source).entry_points}


def test_flask_routes_on_blueprints_apps_and_spelled_receivers() -> None:
    found = entries('''
        from flask import Blueprint, Flask
        from flask_login import login_required
        from . import api_bp

        app = Flask(__name__)
        bp = Blueprint("auth", __name__)

        @bp.route("/signup", methods=["GET", "POST"])
        def signup(): ...

        @app.post("/items")
        @login_required
        def create_item(): ...

        @api_bp.put("/me")
        def update_me(): ...

        @cache.memoize(60)
        def not_a_route(): ...

        def create_app():
            inner = Flask(__name__)

            @inner.route("/health")
            def health(): ...
    ''')
    assert set(found) == {"signup", "create_item", "update_me", "create_app.health"}
    assert found["signup"].framework == "flask" and found["signup"].http_methods == ("GET", "POST")
    assert found["signup"].operation == "create" and found["signup"].authenticated == ""
    assert found["create_item"].authenticated == "@login_required"
    assert found["update_me"].operation == "update"


def test_flask_method_view() -> None:
    found = entries('''
        from flask.views import MethodView

        class Signup(MethodView):
            decorators = [limiter.limit("5/minute")]

            def get(self): ...
            def post(self): ...
            def _helper(self): ...
    ''')
    assert set(found) == {"Signup.get", "Signup.post"}
    assert found["Signup.post"].kind == "method-view" and found["Signup.post"].operation == "create"


def test_django_function_views() -> None:
    found = entries('''
        from django.shortcuts import render
        from django.views.decorators.http import require_POST

        @require_POST
        def register(request): ...

        def profile(request):
            return render(request, "profile.html")

        def helper(request):
            return compute(request)

        def not_a_view(form):
            return render(form)
    ''')
    assert set(found) == {"register", "profile"}
    assert found["register"].framework == "django" and found["register"].http_methods == ("POST",)


def test_django_class_views_forms_and_implicit_handlers() -> None:
    found = entries('''
        from django import forms
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views.generic import CreateView, FormView, UpdateView

        class SignupForm(forms.ModelForm):
            class Meta:
                model = User
                fields = ("username", "email")

            def save(self, commit=True): ...

        class SignupView(FormView):
            form_class = SignupForm
            def form_valid(self, form): ...

        class KidCreate(CreateView):
            model = Kid
            fields = ["name"]

        class ProfileEdit(LoginRequiredMixin, UpdateView):
            model = Profile
            fields = ["bio"]
    ''')
    assert set(found) == {"SignupForm.save", "SignupView.form_valid", "KidCreate", "ProfileEdit"}
    assert found["SignupForm.save"].kind == "form-save"
    assert found["SignupView.form_valid"].schema == "SignupForm"
    assert found["KidCreate"].kind == "implicit" and found["KidCreate"].operation == "create"
    assert found["KidCreate"].function is None and found["KidCreate"].label == "KidCreate"
    assert found["ProfileEdit"].operation == "update" and found["ProfileEdit"].authenticated == "LoginRequiredMixin"
    analysis = analyse('''
        from django import forms
        class SignupForm(forms.ModelForm):
            nickname = forms.CharField()
            class Meta:
                model = User
                fields = ("username", "email")
                exclude = ("password",)
    ''')
    assert analysis.classes["SignupForm"].field_names == ("nickname", "username", "email")


def test_drf_views_viewsets_api_view_and_serializers() -> None:
    found = entries('''
        from rest_framework import serializers, viewsets
        from rest_framework.decorators import action, api_view, permission_classes
        from rest_framework.permissions import AllowAny, IsAuthenticated
        from rest_framework.views import APIView

        class ChildSerializer(serializers.ModelSerializer):
            def create(self, validated_data): ...

        class Register(APIView):
            permission_classes = [AllowAny]
            def post(self, request): ...
            def get(self, request): ...

        class Children(viewsets.ModelViewSet):
            serializer_class = ChildSerializer
            permission_classes = (IsAuthenticated,)
            def perform_create(self, serializer): ...
            @action(detail=False, methods=["post"])
            def invite(self, request): ...

        class Base(viewsets.GenericViewSet):
            def perform_create(self, serializer): ...

        class Derived(Base):
            def perform_update(self, serializer): ...

        @api_view(["POST"])
        @permission_classes([IsAuthenticated])
        def join(request): ...
    ''')
    assert set(found) == {
        "ChildSerializer.create", "Register.post", "Children.perform_create", "Children.invite",
        "Base.perform_create", "Derived.perform_update", "join",
    }
    assert found["Register.post"].authenticated == ""  # AllowAny lets anyone in
    assert found["Children.perform_create"].authenticated == "IsAuthenticated"
    assert found["Children.perform_create"].schema == "ChildSerializer"
    assert found["Derived.perform_update"].operation == "update"
    assert found["join"].framework == "drf" and found["join"].http_methods == ("POST",)
    assert found["join"].authenticated == "IsAuthenticated"
    assert found["ChildSerializer.create"].kind == "serializer-save"


def test_fastapi_routes_dependencies_and_body_parameters() -> None:
    found = entries('''
        from typing import Annotated
        from fastapi import APIRouter, Depends, FastAPI, Form

        app = FastAPI()
        router = APIRouter(dependencies=[Depends(verify_age)])

        @app.post("/signup", dependencies=[Depends(rate_limit)])
        def signup(payload: SignupIn, email: str = Form(...), db=Depends(get_db)): ...

        @router.put("/me")
        async def update_me(user: Annotated[User, Depends(get_current_user)], bio: str): ...
    ''')
    signup, update_me = found["signup"], found["update_me"]
    assert signup.framework == "fastapi" and signup.http_methods == ("POST",)
    assert [cst.Module([]).code_for_node(d) for d in signup.dependencies] == ["rate_limit", "get_db"]
    assert [name for name, _ in signup.body_params] == ["payload", "email"]
    assert [cst.Module([]).code_for_node(d) for d in update_me.dependencies] == ["verify_age", "get_current_user"]
    assert update_me.authenticated == "Depends(get_current_user)"
    assert [name for name, _ in update_me.body_params] == ["bio"]


def test_fastapi_and_flask_decorators_on_unknown_receivers() -> None:
    fastapi = entries('''
        from fastapi import Depends
        from .routers import router

        @router.post("/x")
        def x(): ...
    ''')
    assert fastapi["x"].framework == "fastapi"
    flask = entries('''
        from . import auth_bp

        @auth_bp.route("/x")
        def x(): ...

        @limiter.post("/y")
        def y(): ...
    ''')
    assert set(flask) == {"x"} and flask["x"].framework == "flask"


def test_schema_facts_are_recorded() -> None:
    analysis = analyse('''
        from pydantic import BaseModel

        class SignupIn(BaseModel):
            email: str
            birth_date: str
    ''', path="app/schemas.py")
    analysis.finish()
    [fact] = [f for f in analysis.ctx.facts if f.kind == "entrypoints.schema"]
    assert fact.data["module"] == "app.schemas" and fact.data["name"] == "SignupIn"
    assert fact.data["fields"] == ["email", "birth_date"] and fact.data["role"] == "pydantic"
