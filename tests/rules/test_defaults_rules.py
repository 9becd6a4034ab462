"""COP501-COP503: permissive privacy defaults, location on by default, precise geolocation without opt-in.

Each case is one realistic file; the expected codes are exact, so a harmless
default that starts firing (dark mode, notifications, is_active) fails a test.
"""

from __future__ import annotations

import textwrap
from typing import List

import pytest

from copguard_lint.config import Settings
from copguard_lint.engine import Engine


# COP508 (a toggle with no explanation) reads the same fields as COP501-COP507 and has
# its own cases below; the cases of the other rules leave it out.
def lint(source: str, path: str = "app/models.py") -> List[str]:
    engine = Engine(Settings(select=("COP5",), ignore=("COP508",)))
    result = engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])
    return [f.rule for f in result.findings]


def findings(source: str, path: str = "app/models.py"):
    engine = Engine(Settings(select=("COP5",), ignore=("COP508",)))
    return engine.finish_run([engine.lint_source(path, textwrap.dedent(source))]).findings


DEFAULTS = {
    "django-public-profile": ("""
        from django.db import models
        class Profile(models.Model):
            is_public = models.BooleanField(default=True)
            dark_mode = models.BooleanField(default=True)
            email_notifications = models.BooleanField(default=True)
            is_active = models.BooleanField(default=True)
    """, ["COP501"]),
    "django-visibility-choice-constant": ("""
        from django.db import models
        class Profile(models.Model):
            PUBLIC = "public"
            FRIENDS = "friends"
            CHOICES = [(PUBLIC, "Everyone"), (FRIENDS, "Friends")]
            visibility = models.CharField(max_length=10, choices=CHOICES, default=PUBLIC)
    """, ["COP501"]),
    "django-textchoices-enum": ("""
        from django.db import models
        class Visibility(models.TextChoices):
            PUBLIC = "public"
            PRIVATE = "private"
        class AccountSettings(models.Model):
            profile_visibility = models.CharField(max_length=10, default=Visibility.PUBLIC)
    """, ["COP501"]),
    "sqlalchemy-location-and-messages": ("""
        import sqlalchemy as sa
        from .extensions import db
        class Preferences(db.Model):
            share_location = db.Column(db.Boolean, default=True)
            allow_messages_from = db.Column(db.String(16), default="everyone")
            theme = db.Column(db.String(16), default="light")
    """, ["COP502", "COP501"]),
    "sqlalchemy-server-default": ("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        class Base(DeclarativeBase):
            pass
        class UserSettings(Base):
            __tablename__ = "user_settings"
            discoverable: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
            searchable: Mapped[bool] = mapped_column(sa.Boolean, server_default="0")
            personalized_ads: Mapped[bool] = mapped_column(server_default=sa.text("1"))
    """, ["COP501", "COP501"]),
    "pydantic-settings": ("""
        from pydantic import BaseModel, Field
        class PrivacySettings(BaseModel):
            show_online_status: bool = True
            show_last_seen: bool = Field(default=True)
            notifications: bool = True
    """, ["COP501", "COP501"]),
    "dataclass-settings": ("""
        from dataclasses import dataclass
        @dataclass
        class ChildAccount:
            who_can_message: str = "anyone"
            is_private: bool = False
            sound_effects: bool = True
    """, ["COP501", "COP501"]),
    "generic-names-need-a-person-class": ("""
        from django.db import models
        class Post(models.Model):
            is_public = models.BooleanField(default=True)
            visibility = models.CharField(max_length=10, default="public")
        class Category(models.Model):
            private = models.BooleanField(default=False)
            searchable = models.BooleanField(default=True)
    """, []),
    "protective-defaults": ("""
        from django.db import models
        class UserSettings(models.Model):
            profile_public = models.BooleanField(default=False)
            share_location = models.BooleanField(default=False)
            allow_messages_from = models.CharField(max_length=10, default="friends")
            is_private = models.BooleanField(default=True)
            personalised_ads = models.BooleanField(default=False)
            parent_approved = models.BooleanField(default=False)
    """, []),
    "settings-dict-and-constants": ("""
        DEFAULT_USER_SETTINGS = {
            "profile_public": True,
            "dark_mode": True,
            "location_sharing": True,
            "notifications": {"email": True},
        }
        DEFAULT_PROFILE_VISIBILITY = "public"
        PROFILE_PUBLIC = "public"
        SHOW_ONLINE_STATUS = False
    """, ["COP501", "COP502", "COP501"]),
    "default-settings-function": ("""
        def default_privacy():
            return {"searchable": True, "show_email": True}
        def build_payload(user):
            return {"searchable": True}
    """, ["COP501", "COP501"]),
    "drf-serializer-default": ("""
        from rest_framework import serializers
        class SignupSerializer(serializers.Serializer):
            username = serializers.CharField()
            public_profile = serializers.BooleanField(default=True)
    """, ["COP501"]),
    "numeric-choice-named-by-its-constant": ("""
        from django.db import models
        class User(models.Model):
            LIMIT_INVITES_TO_NONE = 0
            LIMIT_INVITES_TO_FRIENDS = 1
            limits_private_thread_invites_to = models.PositiveIntegerField(default=LIMIT_INVITES_TO_NONE)
            is_hiding_presence = models.BooleanField(default=False)
            posts = models.PositiveIntegerField(default=0)
    """, ["COP501", "COP501"]),
    "numeric-choice-protective": ("""
        from django.db import models
        class User(models.Model):
            LIMIT_INVITES_TO_NONE = 0
            LIMIT_INVITES_TO_FRIENDS = 1
            limits_private_thread_invites_to = models.PositiveIntegerField(default=LIMIT_INVITES_TO_FRIENDS)
            is_hiding_presence = models.BooleanField(default=True)
    """, []),
    "migrations-are-not-models": ("""
        from django.db import migrations, models
        class Migration(migrations.Migration):
            operations = [
                migrations.AddField(
                    model_name="usersettings", name="profile_public",
                    field=models.BooleanField(default=True),
                ),
            ]
    """, []),
    "form-initial-is-not-a-default-but-a-pre-ticked-box": ("""
        from django import forms
        class SettingsForm(forms.Form):
            profile_public = forms.BooleanField(initial=True, required=False)
    """, ["COP506"]),
    "function-body-dicts-are-requests-not-defaults": ("""
        def test_update(client):
            client.post("/settings", {"profile_public": True, "share_location": True})
    """, []),
}


@pytest.mark.parametrize("case", sorted(DEFAULTS))
def test_privacy_defaults(case):
    source, expected = DEFAULTS[case]
    assert lint(source) == expected


def test_default_message_names_setting_risk_and_fix():
    (finding,) = findings("""
        from .extensions import db
        class UserSettings(db.Model):
            allow_messages_from = db.Column(db.String(16), default="everyone")
    """)
    assert finding.rule == "COP501"
    assert finding.message.startswith("UserSettings.allow_messages_from defaults to 'everyone'")
    assert "stranger" in finding.message and '"friends"' in finding.message
    assert (finding.line, finding.column) == (4, 60)  # the default value itself


GEO = {
    "flask-json-store": ("""
        from flask import request, jsonify
        from flask_login import current_user
        @bp.route("/location", methods=["POST"])
        def update_location():
            data = request.get_json() or {}
            current_user.latitude = float(data["lat"])
            current_user.longitude = float(data["lng"])
            db.session.commit()
            return jsonify(ok=True)
    """, ["COP503"]),
    "opt-in-checked": ("""
        from flask import request
        @bp.route("/location", methods=["POST"])
        def update_location():
            if not current_user.settings.share_location:
                abort(403)
            data = request.get_json()
            current_user.latitude = float(data["lat"])
    """, []),
    "opt-in-decorator": ("""
        @bp.route("/location", methods=["POST"])
        @location_consent_required
        def update_location():
            current_user.latitude = request.json["lat"]
    """, []),
    "coarsened": ("""
        def update_location(request):
            request.user.latitude = round(float(request.POST["lat"]), 2)
            request.user.longitude = round(float(request.POST["lng"]), 2)
    """, []),
    "rounded-but-precise": ("""
        def update_location(request):
            request.user.latitude = round(float(request.POST["lat"]), 5)
    """, ["COP503"]),
    "django-create": ("""
        def check_in(request):
            lat, lng = request.POST["lat"], request.POST["lng"]
            CheckIn.objects.create(user=request.user, lat=lat, lng=lng)
    """, ["COP503"]),
    "geodjango-point": ("""
        from django.contrib.gis.geos import Point
        def set_home(request):
            request.user.home_location = Point(float(request.POST["lng"]), float(request.POST["lat"]))
            request.user.save()
    """, ["COP503"]),
    "fastapi-query-params": ("""
        @router.post("/nearby")
        def nearby(lat: float, lng: float, user=Depends(current_user)):
            user.last_lat = lat
            user.last_lng = lng
    """, ["COP503"]),
    "setting-flag-is-not-a-location": ("""
        def update_settings(request):
            request.user.share_location = request.POST.get("share_location") == "on"
            request.user.location_opt_in_at = None
    """, []),
    "helper-without-request": ("""
        def move(user, lat, lng):
            user.latitude = lat
            user.longitude = lng
    """, []),
    "geoip2-city": ("""
        import geoip2.database
        reader = geoip2.database.Reader("/data/GeoLite2-City.mmdb")
        def locate(request):
            response = reader.city(request.META["REMOTE_ADDR"])
            request.user.city = response.city.name
    """, ["COP503"]),
    "geoip2-country-only": ("""
        import geoip2.database
        reader = geoip2.database.Reader("/data/GeoLite2-Country.mmdb")
        def locate(request):
            request.session["country"] = reader.country(request.META["REMOTE_ADDR"]).country.iso_code
    """, []),
    "django-geoip2": ("""
        from django.contrib.gis.geoip2 import GeoIP2
        def welcome(request):
            g = GeoIP2()
            lat, lng = g.lat_lon(request.META["REMOTE_ADDR"])
            return render(request, "welcome.html", {"lat": lat})
    """, ["COP503"]),
    "ipinfo-with-opt-in": ("""
        import ipinfo
        handler = ipinfo.getHandler("token")
        def locate(request):
            if request.user.profile.location_enabled:
                details = handler.getDetails(request.META["REMOTE_ADDR"])
                request.user.profile.city = details.city
    """, []),
}


@pytest.mark.parametrize("case", sorted(GEO))
def test_geolocation(case):
    source, expected = GEO[case]
    assert lint(source, path="app/views.py") == expected


def test_geolocation_message():
    (finding,) = findings(GEO["flask-json-store"][0], path="app/views.py")
    assert finding.line == 7
    assert finding.message.startswith(
        "update_location() stores precise coordinates from the request (latitude, longitude) on current_user"
    )
    assert "opt-in" in finding.message and "1 km" in finding.message


def test_defaults_rules_run_per_file():
    from copguard_lint.rule import Rule
    from copguard_lint.rules.defaults import DEFAULTS_RULES
    from copguard_lint.rules.safety import SAFETY_RULES

    assert all(issubclass(rule, Rule) and not rule.has_project_part() for rule in DEFAULTS_RULES)
    # COP401-COP406 need the whole tree (safety.py holds per-file rules too, such as COP407).
    assert all(not issubclass(rule, Rule) for rule in SAFETY_RULES if rule.code <= "COP406")
    for rule in (*DEFAULTS_RULES, *SAFETY_RULES):
        assert "flake8" in (rule.__doc__ or "")


# -- COP504 / COP505: engagement and profiled recommendations on by default ----------------

ENGAGEMENT = {
    "django-user-settings": ("""
        from django.db import models
        class UserPreferences(models.Model):
            autoplay = models.BooleanField(default=True)
            infinite_scroll = models.BooleanField(default=True)
            push_notifications = models.BooleanField(default=True)
            show_read_receipts = models.BooleanField(default=True)
            email_notifications = models.BooleanField(default=True)
            reply_notifications = models.BooleanField(default=True)
            current_streak = models.PositiveIntegerField(default=0)
            dark_mode = models.BooleanField(default=True)
    """, ["COP504", "COP504", "COP504", "COP504"]),
    "protective-engagement-defaults": ("""
        from django.db import models
        class UserPreferences(models.Model):
            autoplay = models.BooleanField(default=False)
            infinite_scroll = models.BooleanField(default=False)
            push_notifications = models.BooleanField(default=False)
            quiet_hours_enabled = models.BooleanField(default=True)
            hide_like_counts = models.BooleanField(default=True)
            break_reminders = models.BooleanField(default=True)
    """, []),
    "quiet-hours-off-and-likes-shown": ("""
        from pydantic import BaseModel
        class NotificationSettings(BaseModel):
            quiet_hours_enabled: bool = False
            show_like_counts: bool = True
            daily_streak_reminders: str = "daily"
    """, ["COP504", "COP504"]),
    "streak-reminders-on": ("""
        from dataclasses import dataclass
        @dataclass
        class LearnerSettings:
            streak_reminders: bool = True
            practice_reminders: bool = True
            sound_effects: bool = True
    """, ["COP504", "COP504"]),
    "bare-autoplay-needs-a-person-owner": ("""
        from django.db import models
        class VideoBlock(models.Model):
            autoplay = models.BooleanField(default=True)
        class Preferences(models.Model):
            autoplay = models.BooleanField(default=True)
    """, ["COP504"]),
    "settings-dict-and-constants": ("""
        DEFAULT_USER_SETTINGS = {"autoplay": True, "typing_indicators": True, "theme": "dark"}
        WEB_PUSH_ENABLED = True
        PUSH = True
        AUTOPLAY_NEXT_EPISODE = False
    """, ["COP504", "COP504", "COP504"]),
    "recommendations": ("""
        import sqlalchemy as sa
        from .extensions import db
        class UserSettings(db.Model):
            personalised_recommendations = db.Column(db.Boolean, default=True)
            feed_order = db.Column(db.String(16), default="for_you")
            recommendations = db.Column(db.Boolean, server_default=sa.true())
    """, ["COP505", "COP505", "COP505"]),
    "non-profiled-feed": ("""
        from enum import Enum
        from django.db import models
        class FeedOrder(models.TextChoices):
            CHRONOLOGICAL = "chronological"
            FOR_YOU = "for_you"
        class Profile(models.Model):
            feed_order = models.CharField(max_length=16, default=FeedOrder.CHRONOLOGICAL)
            personalized_feed = models.BooleanField(default=False)
        class Product(models.Model):
            recommendations = models.BooleanField(default=True)
            recommended_products = models.ManyToManyField("self")
    """, []),
    "feed-order-enum-for-you": ("""
        from django.db import models
        class Profile(models.Model):
            feed_order = models.CharField(max_length=16, default=FeedOrder.FOR_YOU)
    """, ["COP505"]),
    "camera-on-device": ("""
        from django.db import models
        class DeviceSettings(models.Model):
            microphone_enabled = models.BooleanField(default=True)
            always_listening = models.BooleanField(default=True)
            led_brightness = models.IntegerField(default=5)
    """, ["COP501", "COP501"]),
}


@pytest.mark.parametrize("case", sorted(ENGAGEMENT))
def test_engagement_defaults(case):
    source, expected = ENGAGEMENT[case]
    assert lint(source) == expected


def test_engagement_message():
    (finding,) = findings("""
        from django.db import models
        class UserSettings(models.Model):
            autoplay_next_video = models.BooleanField(default=True)
    """)
    assert finding.rule == "COP504"
    assert finding.message.startswith("UserSettings.autoplay_next_video defaults to True")
    assert "autoplay on" in finding.message and "switched off" in finding.message


# -- COP506: boxes ticked in advance ----------------------------------------------------------

NUDGE = {
    "django-form-consent-boxes": ("""
        from django import forms
        class SignupForm(forms.Form):
            email = forms.EmailField()
            newsletter = forms.BooleanField(initial=True, required=False)
            accept_terms = forms.BooleanField(initial=True)
            share_data_with_partners = forms.BooleanField(initial=True, required=False)
            remember_me = forms.BooleanField(initial=True, required=False)
            subscribe = forms.BooleanField(initial=True, required=False)
    """, ["COP506", "COP506", "COP506"]),
    "unticked": ("""
        from django import forms
        class SignupForm(forms.Form):
            newsletter = forms.BooleanField(initial=False, required=False)
            accept_terms = forms.BooleanField()
            marketing_emails = forms.BooleanField(required=False)
    """, []),
    "wtforms-default": ("""
        from flask_wtf import FlaskForm
        from wtforms import BooleanField, StringField
        class RegisterForm(FlaskForm):
            username = StringField("Username")
            marketing_emails = BooleanField("Send me offers", default=True)
            terms = BooleanField("I agree", default=False)
            remember = BooleanField("Remember me", default=True)
    """, ["COP506"]),
    "privacy-and-engagement-boxes": ("""
        from django import forms
        class ProfileSettingsForm(forms.ModelForm):
            is_public = forms.BooleanField(initial=True, required=False)
            push_notifications = forms.BooleanField(initial=True, required=False)
            allow_messages_from = forms.ChoiceField(choices=CHOICES, initial="everyone")
            email_notifications = forms.BooleanField(initial=True, required=False)
    """, ["COP506", "COP506", "COP506"]),
    "initial-dict-in-a-view": ("""
        def signup(request):
            form = SignupForm(request.POST or None, initial={"marketing_consent": True, "country": "KH"})
            other = Thing(initial={"newsletter": True})
    """, ["COP506"]),
    "initial-from-elsewhere": ("""
        from django import forms
        class SignupForm(forms.Form):
            newsletter = forms.BooleanField(initial=settings.NEWSLETTER_DEFAULT)
    """, []),
    "not-a-form": ("""
        class Platform(BasePlatform):
            newsletter = Option(initial=True)
        class Widget:
            consent = Field(initial=True)
    """, []),
}


@pytest.mark.parametrize("case", sorted(NUDGE))
def test_pre_ticked_boxes(case):
    source, expected = NUDGE[case]
    assert lint(source, path="app/forms.py") == expected


def test_pre_ticked_message():
    (finding,) = findings(NUDGE["wtforms-default"][0], path="app/forms.py")
    assert finding.message.startswith("RegisterForm.marketing_emails is ticked in advance (default=True)")
    assert "leave it unticked" in finding.message
    assert (finding.line, finding.column) == (6, 63)


# -- COP507: a parent watches, the child is not told ------------------------------------------

MONITORING = {
    "parent-reads-child-messages": ("""
        @login_required
        def parent_dashboard(request, child_id):
            child = request.user.children.get(id=child_id)
            conversations = Conversation.objects.filter(members=child)
            return render(request, "parents/dashboard.html", {"conversations": conversations})
    """, ["COP507"]),
    "guardian-view-class-location": ("""
        class GuardianLocationView(APIView):
            def get(self, request, kid_id):
                kid = Kid.objects.get(pk=kid_id, guardian=request.user)
                return Response({"lat": kid.last_latitude, "lng": kid.last_longitude})
    """, ["COP507"]),
    "decorator-and-loop-over-activity": ("""
        @parent_required
        def weekly_report(request):
            for child in request.user.children.all():
                for entry in child.browsing_history.all():
                    rows.append(entry)
    """, ["COP507"]),
    "child-notified": ("""
        @login_required
        def parent_dashboard(request, child_id):
            child = request.user.children.get(id=child_id)
            conversations = Conversation.objects.filter(members=child)
            notify(child, "Your parent looked at your chats today")
            return render(request, "parents/dashboard.html", {"conversations": conversations})
    """, []),
    "access-logged-for-the-child": ("""
        def parent_child_location(request, child_id):
            child = get_child(request, child_id)
            LocationAccessLog.objects.create(child=child, viewer=request.user)
            return JsonResponse({"lat": child.latitude})
    """, []),
    "parent-changes-a-setting": ("""
        def parent_controls(request, child_id):
            child = request.user.children.get(id=child_id)
            child.settings.chat_enabled = False
            child.settings.location_sharing_allowed = False
            child.settings.save()
    """, []),
    "parent-reads-own-inbox": ("""
        def parent_inbox(request):
            messages = Message.objects.filter(recipient=request.user)
            return render(request, "inbox.html", {"messages": messages})
    """, []),
    "tree-parents-and-children": ("""
        def get_parent_comment(comment):
            for child in comment.children.all():
                print(child.messages)
        def move_to_parent_page(page):
            return [child.history for child in page.get_children()]
        class ParentNodeSerializer(Serializer):
            def to_representation(self, node):
                return [child.posts for child in node.children]
    """, []),
    "child-own-view": ("""
        def my_messages(request):
            child = request.user
            return Message.objects.filter(recipient=child)
    """, []),
}


@pytest.mark.parametrize("case", sorted(MONITORING))
def test_parental_monitoring(case):
    source, expected = MONITORING[case]
    assert lint(source, path="app/views.py") == expected


def test_parental_monitoring_message():
    (finding,) = findings(MONITORING["guardian-view-class-location"][0], path="app/views.py")
    assert finding.line == 3
    assert finding.message.startswith("get() lets a parent or guardian see a child's location (lat)")
    assert "notify the child" in finding.message


# -- the shared traversal (issue #9) ------------------------------------------------------------


def test_defaults_analyses_hook_into_the_single_walk():
    """No COP5xx analysis walks statements on its own: all of it comes through walk.Walker."""
    import inspect

    from copguard_lint.rules import defaults

    source = inspect.getsource(defaults)
    assert "def _block(" not in source and "def _statement(" not in source
    for analysis in (defaults.PrivacyDefaults, defaults.GeolocationAnalysis, defaults.ParentalMonitoring,
                     defaults.ToggleExplanations):
        assert any(name.startswith("visit_") for name in vars(analysis)), analysis


GEO_SCOPES = {
    "nested-function-is-its-own-scope": ("""
        def update_location(request):
            def inner(user, lat):
                user.latitude = lat
            if request.user.share_location:
                request.user.latitude = request.POST["lat"]
    """, []),
    "opt-in-in-outer-does-not-cover-inner-handler": ("""
        def outer(request):
            if request.user.share_location:
                pass
            def update_location(request):
                request.user.latitude = request.POST["lat"]
            return update_location
    """, ["COP503"]),
    "class-body-in-a-function-is-no-store": ("""
        def make(request):
            class Form:
                latitude = request.POST["lat"]
            return Form
    """, []),
    "store-in-try-else-and-while": ("""
        def update_location(request):
            try:
                lat = request.POST["lat"]
            except KeyError:
                return
            else:
                while True:
                    request.user.latitude = lat
                    break
    """, ["COP503"]),
    "taint-flows-in-statement-order": ("""
        def update_location(request):
            request.user.latitude = lat
            lat = request.POST["lat"]
    """, []),
    "async-with-and-for": ("""
        async def update_location(request):
            async with lock:
                for lat in [request.POST["lat"]]:
                    request.user.latitude = lat
    """, ["COP503"]),
}


@pytest.mark.parametrize("case", sorted(GEO_SCOPES))
def test_geolocation_scopes(case):
    source, expected = GEO_SCOPES[case]
    assert lint(source, path="app/views.py") == expected


@pytest.mark.parametrize("select", [("COP503",), ("COP5",), ("COP",)])
def test_geolocation_same_with_any_walk_mode(select):
    """Statement-only walks (COP503 alone) and full walks (with expression visitors) agree."""
    engine = Engine(Settings(select=select))
    for case, (source, expected) in sorted({**GEO, **GEO_SCOPES}.items()):
        result = engine.finish_run([engine.lint_source("app/views.py", textwrap.dedent(source))])
        assert [f.rule for f in result.findings if f.rule == "COP503"] == expected, case


# -- COP508: a data-use toggle with no just-in-time explanation ------------------------------


def toggles(source: str, path: str = "app/forms.py") -> List[str]:
    """`Owner.field` of each COP508 finding, in order."""
    engine = Engine(Settings(select=("COP508",)))
    result = engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])
    assert all(f.rule == "COP508" for f in result.findings)
    return [f.message.split(" ", 1)[0] for f in result.findings]


TOGGLES = {
    # -- positives ---------------------------------------------------------------------------
    "django-form-label-restates-the-setting": ("""
        from django import forms
        from django.utils.translation import gettext_lazy as _
        class PrivacySettingsForm(forms.Form):
            share_location = forms.BooleanField(label=_("Share my location"), required=False)
            public_profile = forms.BooleanField(required=False)
    """, ["PrivacySettingsForm.share_location", "PrivacySettingsForm.public_profile"]),
    "wtforms-label-without-description": ("""
        from flask_wtf import FlaskForm
        from wtforms import BooleanField
        class ProfileForm(FlaskForm):
            show_online_status = BooleanField("Show online status")
            personalised_ads = BooleanField(label="Personalised ads")
            camera_enabled = BooleanField("Enable camera")
    """, ["ProfileForm.show_online_status", "ProfileForm.personalised_ads", "ProfileForm.camera_enabled"]),
    "django-model-field-a-model-form-renders": ("""
        from django.db import models
        from django.utils.translation import gettext_lazy as _
        class UserSettings(models.Model):
            share_location = models.BooleanField(default=False)
            discoverable = models.BooleanField(_("Discoverable"), default=False)
            personalized_recommendations = models.BooleanField(verbose_name="Personalized recommendations")
    """, ["UserSettings.share_location", "UserSettings.discoverable", "UserSettings.personalized_recommendations"]),
    "drf-serializer-toggle": ("""
        from rest_framework import serializers
        class PrivacySerializer(serializers.Serializer):
            location_sharing = serializers.BooleanField(label="Location sharing")
            show_in_search = serializers.BooleanField(required=False)
    """, ["PrivacySerializer.location_sharing", "PrivacySerializer.show_in_search"]),
    "pydantic-and-sqlmodel": ("""
        from pydantic import BaseModel, Field
        from sqlmodel import SQLModel
        class PrivacyUpdate(BaseModel):
            share_location: bool = False
            show_email: bool = Field(default=False, title="Show email")
        class ProfileSettings(SQLModel, table=True):
            profile_public: bool = False
    """, ["PrivacyUpdate.share_location", "PrivacyUpdate.show_email", "ProfileSettings.profile_public"]),
    "help-text-that-only-restates-the-name": ("""
        from django import forms
        class PrivacyForm(forms.Form):
            share_location = forms.BooleanField(help_text="Share location.", required=False)
    """, ["PrivacyForm.share_location"]),
    # -- negatives ---------------------------------------------------------------------------
    "help-text-and-description-explain": ("""
        from django import forms
        from flask_wtf import FlaskForm
        from wtforms import BooleanField
        from django.utils.translation import gettext_lazy as _
        class PrivacyForm(forms.Form):
            share_location = forms.BooleanField(
                required=False, help_text=_("Your friends will see which town you are in. You can turn it off here."))
        class WTPrivacyForm(FlaskForm):
            public_profile = BooleanField("Public profile", description="Anyone on KidsChat can see your posts")
    """, []),
    "label-that-says-who-sees-what": ("""
        from django import forms
        class PrivacyForm(forms.Form):
            public_profile = forms.BooleanField(label="Let anyone see my profile and posts", required=False)
            share_location = forms.BooleanField(label="Friends can see your city", required=False)
            personalised_ads = forms.BooleanField(label="Use what I watch to pick ads", required=False)
    """, []),
    "pydantic-field-description-and-annotated": ("""
        from typing import Annotated
        from pydantic import BaseModel, Field
        class PrivacyUpdate(BaseModel):
            share_location: bool = Field(False, description="Friends see the town you are in")
            personalised_ads: Annotated[bool, Field(description="Ads are chosen from what you watch")] = False
    """, []),
    "model-form-meta-and-init-explain": ("""
        from django import forms
        from django.db import models
        class UserSettings(models.Model):
            share_location = models.BooleanField(default=False)
            discoverable = models.BooleanField(default=False)
        class UserSettingsForm(forms.ModelForm):
            class Meta:
                model = UserSettings
                fields = ["share_location", "discoverable"]
                help_texts = {"share_location": "Your friends will see your town"}
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["discoverable"].help_text = HELP["discoverable"]
    """, []),
    "serializer-extra-kwargs": ("""
        from rest_framework import serializers
        class SettingsSerializer(serializers.ModelSerializer):
            show_in_search = serializers.BooleanField(help_text=SEARCH_HELP)
            class Meta:
                fields = ["share_location"]
                extra_kwargs = {"share_location": {"help_text": "Friends will see your town"}}
    """, []),
    "text-copguard-cannot-read-is-trusted": ("""
        from django import forms
        class PrivacyForm(forms.Form):
            share_location = forms.BooleanField(label=LABELS["share_location"], required=False)
    """, []),
    # -- near misses -------------------------------------------------------------------------
    "switches-that-turn-a-data-use-off": ("""
        from django import forms
        class PrivacyForm(forms.Form):
            private_profile = forms.BooleanField(label="Private profile", required=False)
            hide_online_status = forms.BooleanField(required=False)
            is_hiding_presence = forms.BooleanField(required=False)
            invisible = forms.BooleanField(required=False)
    """, []),
    "toggles-that-use-no-data": ("""
        from django import forms
        class PreferencesForm(forms.Form):
            dark_mode = forms.BooleanField(required=False)
            email_notifications = forms.BooleanField(required=False)
            autoplay_videos = forms.BooleanField(required=False)
            allow_messages_from_strangers = forms.BooleanField(required=False)
    """, []),
    "audience-choice-is-not-a-toggle": ("""
        from django import forms
        class PrivacyForm(forms.Form):
            profile_visibility = forms.ChoiceField(choices=[("friends", "Friends"), ("public", "Everyone")])
    """, []),
    "staff-forms-and-admin-paths": ("""
        from django import forms
        class AdminUserForm(forms.ModelForm):
            share_location = forms.BooleanField(required=False)
        class StaffProfileEditForm(forms.Form):
            public_profile = forms.BooleanField(required=False)
    """, []),
    "generic-names-on-content-and-configuration": ("""
        from django.db import models
        class Setting(models.Model):
            is_public = models.BooleanField(default=False)
        class Poll(models.Model):
            is_public = models.BooleanField(default=False)
        class Event(models.Model):
            searchable = models.BooleanField(default=True)
    """, []),
    "internal-models-and-environment-settings": ("""
        import sqlalchemy as sa
        from dataclasses import dataclass
        from django.db import models
        from pydantic_settings import BaseSettings
        class UserPrefs(sa.orm.DeclarativeBase):
            share_location = sa.Column(sa.Boolean, default=False)
        @dataclass
        class LocationState:
            share_location: bool = False
        class AppSettings(BaseSettings):
            personalized_ads: bool = False
        class Profile(models.Model):
            searchable = models.BooleanField(default=False, editable=False)
    """, []),
    "project-base-model-in-a-django-app": ("""
        from django.db import models
        from myapp.base import TimestampedModel
        class ChildProfile(TimestampedModel):
            show_online_status = models.BooleanField(default=False)
    """, ["ChildProfile.show_online_status"]),
    "generic-name-on-a-person-form-counts": ("""
        from django import forms
        class ProfileForm(forms.Form):
            is_public = forms.BooleanField(label="Public", required=False)
    """, ["ProfileForm.is_public"]),
}


@pytest.mark.parametrize("case", sorted(TOGGLES))
def test_toggle_explanations(case):
    source, expected = TOGGLES[case]
    assert toggles(source) == expected


def test_toggle_in_an_admin_module_is_staff_only():
    source = """
        from django import forms
        class UserForm(forms.Form):
            share_location = forms.BooleanField(required=False)
    """
    assert toggles(source, path="app/forms.py") == ["UserForm.share_location"]
    assert toggles(source, path="app/admin/forms.py") == []
    assert toggles(source, path="app/admin.py") == []


def test_model_form_in_another_class_does_not_explain_a_form_field():
    """A Meta's help_texts explain its own form's fields and the model's, not another form's."""
    source = """
        from django import forms
        class LocationForm(forms.Form):
            share_location = forms.BooleanField(label="Share location", required=False)
        class OtherForm(forms.ModelForm):
            class Meta:
                help_texts = {"share_location": "Friends see your town"}
    """
    assert toggles(source) == ["LocationForm.share_location"]


def test_toggle_message_names_the_toggle_the_data_use_and_the_fix():
    engine = Engine(Settings(select=("COP508",)))
    source = textwrap.dedent("""
        from flask_wtf import FlaskForm
        from wtforms import BooleanField
        class PrivacyForm(FlaskForm):
            share_location = BooleanField("Share location")
    """)
    [finding] = engine.finish_run([engine.lint_source("app/forms.py", source)]).findings
    assert finding.line == 5
    message = finding.message
    assert message.startswith("PrivacyForm.share_location is a form field that switches on location sharing")
    assert "no description" in message and "'Share location' only names the setting" in message
    assert "who will see where they are" in message and "child" in message


def test_toggle_rule_metadata():
    from copguard_lint.rules.defaults import ToggleWithoutExplanation

    assert ToggleWithoutExplanation.clauses == ("UK-AADC-4", "CA-AADC-A7")
    assert "flake8" in (ToggleWithoutExplanation.__doc__ or "")
