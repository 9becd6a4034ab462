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


def lint(source: str, path: str = "app/models.py") -> List[str]:
    engine = Engine(Settings(select=("COP5",)))
    result = engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])
    return [f.rule for f in result.findings]


def findings(source: str, path: str = "app/models.py"):
    engine = Engine(Settings(select=("COP5",)))
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
    "form-initial-is-not-a-default": ("""
        from django import forms
        class SettingsForm(forms.Form):
            profile_public = forms.BooleanField(initial=True, required=False)
    """, []),
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
    assert all(not issubclass(rule, Rule) for rule in SAFETY_RULES)
    for rule in (*DEFAULTS_RULES, *SAFETY_RULES):
        assert "flake8" in (rule.__doc__ or "")
