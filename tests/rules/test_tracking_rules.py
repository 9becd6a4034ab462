"""COP301-COP304: analytics, tracking, advertising and profiling of minors.

Each case is real-looking code with exact expected codes, per SDK: positive
cases, negative cases and near misses (a local variable that happens to be
called `analytics`, an opaque id, a parent's data, a config-only check).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest

from copguard_lint.analysis.tracking import TrackingLinkFacts
from copguard_lint.analysis.sinks import default_sinks, parse_url, validate_entries
from copguard_lint.config import ConfigError, Settings, settings_from_table
from copguard_lint.engine import Engine
from copguard_lint.registry import known_codes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def lint(source: str, *, select: Sequence[str] = ("COP3",), audience: str = "mixed", **settings) -> List[str]:
    engine = Engine(Settings(select=tuple(select), audience=audience, **settings))
    result = engine.finish_run([engine.lint_source("app.py", textwrap.dedent(source))])
    return sorted(f.rule for f in result.findings)


def findings(source: str, *, select: Sequence[str] = ("COP3",), audience: str = "mixed"):
    engine = Engine(Settings(select=tuple(select), audience=audience))
    result = engine.finish_run([engine.lint_source("app.py", textwrap.dedent(source))])
    return list(result.findings)


def lint_tree(root: Path, files: Dict[str, str], *, select: Sequence[str] = ("COP3",), audience: str = "mixed"):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    engine = Engine(Settings(select=tuple(select), audience=audience))
    found = sorted((p, p.relative_to(root).as_posix()) for p in root.rglob("*.py"))
    result = engine.run(found)
    return [(f.rule, f.path, f.line) for f in result.findings], result


# -- COP301: personal data to analytics and ad SDKs ------------------------------------

COP301_POSITIVE = {
    "segment-identify-traits": """
        import analytics
        def identify(child):
            analytics.identify(child.id, {"email": child.email, "name": child.first_name})
    """,
    "segment-module-alias": """
        import segment.analytics as analytics
        def identify(user):
            analytics.identify(str(user.id), traits={"birthday": user.birth_date.isoformat()})
    """,
    "segment-from-import": """
        from segment import analytics
        def signup(user):
            analytics.track(user.email, "Signed Up")
    """,
    "segment-client": """
        import analytics
        client = analytics.Client("write-key")
        def page(user):
            client.page(user.id, "Home", properties={"city": user.city})
    """,
    "rudderstack": """
        import rudderstack.analytics as rudder
        def identify(student):
            rudder.identify(student.id, {"school": student.school})
    """,
    "mixpanel-people-set": """
        from mixpanel import Mixpanel
        mp = Mixpanel("token")
        def profile(user):
            mp.people_set(str(user.id), {"$email": user.email, "$phone": user.phone})
    """,
    "mixpanel-self-attribute": """
        import mixpanel
        class Tracker:
            def __init__(self, token):
                self.mp = mixpanel.Mixpanel(token)
            def track(self, user, event):
                self.mp.track(user.email, event)
    """,
    "amplitude-base-event": """
        from amplitude import Amplitude, BaseEvent
        client = Amplitude("key")
        def track(user):
            client.track(BaseEvent(event_type="Opened", user_id=user.email))
    """,
    "amplitude-identify-set": """
        from amplitude import Identify
        def traits(user):
            identify = Identify()
            identify.set("dob", user.date_of_birth)
    """,
    "posthog-module": """
        import posthog
        def track(user):
            posthog.capture(distinct_id=str(user.id), event="Login", properties={"email": user.email})
    """,
    "posthog-client-alias": """
        from posthog import Posthog as PH
        ph = PH("key", host="https://eu.i.posthog.com")
        def identify(kid):
            ph.identify(kid.id, {"first_name": kid.first_name})
    """,
    "posthog-device-id-param": """
        import posthog
        def opened(device_id):
            posthog.capture(device_id, "App Opened")
    """,
    "ga4-measurement-protocol-fstring": """
        import requests
        def collect(request, user):
            requests.post(
                f"https://www.google-analytics.com/mp/collect?measurement_id={MEASUREMENT_ID}",
                json={"client_id": request.remote_addr, "events": [{"name": "login"}]},
            )
    """,
    "ga-universal-constant-url": """
        import httpx
        GA_URL = "https://www.google-analytics.com/collect"
        def hit(user):
            httpx.post(GA_URL, data={"v": 1, "cid": user.email, "t": "pageview"})
    """,
    "posthog-http-subdomain": """
        import requests
        def capture(user):
            requests.post("https://us.i.posthog.com/capture/", json={"distinct_id": user.email})
    """,
    "facebook-conversions-user-data": """
        from facebook_business.adobjects.serverside.user_data import UserData
        def purchase(user):
            return UserData(email=user.email, client_ip_address=user.last_ip)
    """,
    "facebook-graph-events-http": """
        import requests
        def conversion(user):
            requests.post(f"https://graph.facebook.com/v19.0/{PIXEL_ID}/events", json={"data": [{"em": user.email}]})
    """,
    "snowplow-subject": """
        from snowplow_tracker import Subject
        def subject_for(request):
            subject = Subject()
            subject.set_ip_address(request.remote_addr)
            return subject
    """,
    "heap-http": """
        import requests
        def track(user):
            requests.post("https://heapanalytics.com/api/track", json={"identity": user.email, "event": "x"})
    """,
    "firebase-analytics-label": """
        from firebase_admin import messaging
        def notify(child, token):
            return messaging.FCMOptions(analytics_label=child.first_name)
    """,
    "mixpanel-class-alias": """
        from mixpanel import Mixpanel as MP
        def track(pupil):
            MP("token").track(pupil.email, "Lesson Opened")
    """,
    "posthog-module-alias": """
        import posthog as ph
        def identify(user):
            ph.identify(user.analytics_id, {"$ip": user.ip_address})
    """,
    "segment-url-in-module-constant-concatenated": """
        import requests
        SEGMENT = "https://api.segment.io"
        def track(user):
            requests.post(SEGMENT + "/v1/track", json={"userId": user.email, "event": "x"})
    """,
    "same-file-wrapper": """
        import analytics
        def track(user, event, **properties):
            analytics.track(user.id, event, properties)
        def signup(child):
            track(child, "Signed Up", email=child.email)
    """,
    "container-filled-then-sent": """
        import analytics
        def track(user, event, **props):
            props.setdefault("school", user.school)
            analytics.track(user.id, event, props)
    """,
}

COP301_NEGATIVE = {
    "opaque-ids": """
        import analytics, uuid
        from mixpanel import Mixpanel
        mp = Mixpanel("token")
        def track(user):
            analytics.identify(user.id, {"plan": "free"})
            analytics.track(str(user.pk), "Opened")
            mp.track(user.analytics_id, "Opened", {"source": "email"})
            analytics.track(uuid.uuid4().hex, "Anonymous")
    """,
    "local-variable-named-analytics": """
        def track(child, stats):
            analytics = stats.for_school(child.school)
            analytics.track(child.email, "Opened")
    """,
    "unrelated-track-method": """
        def save(child, shipment):
            shipment.track(child.email)
    """,
    "hashed-email": """
        import hashlib
        import analytics
        def identify(user):
            analytics.identify(hashlib.sha256(user.email.encode()).hexdigest(), {})
    """,
    "parent-email": """
        import analytics
        def consent_sent(parent):
            analytics.identify(parent.id, {"email": parent.email})
    """,
    "allow-listed-properties": """
        import analytics
        ALLOWED = {"method", "source"}
        def clean(props):
            return {k: v for k, v in props.items() if k in ALLOWED}
        def track(user, event, **props):
            analytics.track(user.analytics_id, event, clean(props))
        def login(user):
            track(user, "Logged In", method="email")
    """,
    "local-class-named-like-an-sdk": """
        class Mixpanel:
            def __init__(self, token):
                self.token = token
            def track(self, distinct_id, event):
                return (distinct_id, event)
        mp = Mixpanel("token")
        def track(pupil):
            mp.track(pupil.email, "Opened")
    """,
    "ga-request-without-personal-data": """
        import requests
        def collect(client_ref):
            requests.post("https://www.google-analytics.com/mp/collect", json={"client_id": client_ref})
    """,
}


@pytest.mark.parametrize("name", sorted(COP301_POSITIVE))
def test_cop301_positive(name: str) -> None:
    assert lint(COP301_POSITIVE[name], select=("COP301",)) == ["COP301"]


@pytest.mark.parametrize("name", sorted(COP301_NEGATIVE))
def test_cop301_negative(name: str) -> None:
    assert lint(COP301_NEGATIVE[name], select=("COP301",)) == []


def test_analytics_endpoint_is_cop301_not_cop104() -> None:
    source = """
        import requests
        def collect(child):
            requests.post("https://www.google-analytics.com/mp/collect", json={"user_id": child.email})
            requests.post("https://partner.example.com/api", json={"email": child.email})
    """
    assert lint(source, select=("COP104", "COP301")) == ["COP104", "COP301"]
    by_line = {f.line: f.rule for f in findings(source, select=("COP104", "COP301"))}
    assert by_line == {4: "COP301", 5: "COP104"}


def test_dynamic_host_stays_plain_http() -> None:
    source = """
        import requests
        def collect(child, host):
            requests.post(f"https://{host}/mp/collect", json={"user_id": child.email})
    """
    assert lint(source, select=("COP104", "COP301")) == ["COP104"]


def test_openrtb_body_is_an_ad_request_not_plain_http() -> None:
    source = """
        import requests
        def ad(user):
            bid = {
                "id": "1", "imp": [{"id": "1"}], "site": {"domain": "x"},
                "user": {"yob": user.birth_date.year}, "regs": {"coppa": 1},
            }
            requests.post(EXCHANGE_URL, json=bid)
    """
    assert lint(source, select=("COP104", "COP301")) == ["COP301"]


def test_cop301_message_names_data_sdk_call_and_fix() -> None:
    (finding,) = findings(COP301_POSITIVE["mixpanel-people-set"], select=("COP301",))
    assert "email address" in finding.message and "phone number" in finding.message
    assert "Mixpanel" in finding.message and "mp.people_set" in finding.message
    assert "profile" in finding.message and "random analytics id" in finding.message
    assert "UK-AADC-9" in finding.clauses


def test_cop301_persistent_identifier_is_named() -> None:
    (finding,) = findings(COP301_POSITIVE["posthog-device-id-param"], select=("COP301",))
    assert "persistent identifier" in finding.message


def test_cop301_general_audience_counts_only_children() -> None:
    unknown = COP301_POSITIVE["segment-from-import"]
    assert lint(unknown, select=("COP301",), audience="general") == []
    assert lint(COP301_POSITIVE["segment-identify-traits"], select=("COP301",), audience="general") == ["COP301"]


def test_cop301_through_a_wrapper_in_another_file(tmp_path: Path) -> None:
    found, result = lint_tree(tmp_path, {
        "app/__init__.py": "",
        "app/tracking.py": """
            import analytics
            def track_event(user, event, **props):
                analytics.track(user.id, event, props)
        """,
        "app/views.py": """
            from .tracking import track_event
            def signup(child):
                track_event(child, "Signed Up", email=child.email)
                track_event(child, "Signed Up", method="email")
        """,
    }, select=("COP301",))
    assert found == [("COP301", "app/views.py", 4)]
    assert "track_event" in result.findings[0].message and "Segment" in result.findings[0].message


# -- COP302: tracking without a consent or age check -------------------------------------

COP302_POSITIVE = {
    "direct-view": """
        import analytics
        from flask_login import current_user
        def dashboard():
            analytics.track(current_user.id, "Dashboard Viewed")
    """,
    "config-only-guard": """
        import analytics
        from django.conf import settings
        def view(request):
            if settings.SEGMENT_WRITE_KEY:
                analytics.track(request.user.id, "Viewed")
    """,
    "authenticated-is-not-consent": """
        import posthog
        from flask_login import current_user
        def view():
            if not current_user.is_authenticated:
                return None
            posthog.capture(current_user.id, "Viewed")
    """,
    "birth-date-validation-is-not-an-age-check": """
        import analytics
        def signup(request, user):
            birth_date = request.form.get("birth_date")
            if birth_date is None:
                return "missing"
            member = load_member(user)
            analytics.track(member.id, "Signed Up")
    """,
    "same-file-wrapper-call-site": """
        from mixpanel import Mixpanel
        from flask_login import current_user
        mp = Mixpanel("token")
        def track(user, event):
            mp.track(user.analytics_id, event)
        def view():
            track(current_user, "Viewed")
    """,
    "wrapper-through-wrapper": """
        import analytics
        def low(user, event):
            analytics.track(user.analytics_id, event)
        def high(user):
            low(user, "Opened")
        def view(request):
            high(request.user)
    """,
    "age-presence-is-not-an-age-check": """
        import analytics
        def view(request):
            if request.user.age is None:
                return None
            analytics.track(request.user.id, "Viewed")
    """,
    "guard-after-the-call-does-not-count": """
        import analytics
        def view(request):
            analytics.track(request.user.id, "Viewed")
            if not request.user.analytics_consent:
                return None
    """,
    "ad-request-about-user": """
        import requests
        def ad(user):
            return requests.get(
                "https://pubads.g.doubleclick.net/gampad/ads",
                params={"iu": "/1/kids", "ppid": user.analytics_id, "tfcd": 1},
            )
        def page(request):
            return ad(request.user)
    """,
}

COP302_NEGATIVE = {
    "enclosing-consent-if": """
        import analytics
        from flask_login import current_user
        def view():
            if current_user.analytics_consent:
                analytics.track(current_user.id, "Viewed")
    """,
    "early-return-on-opt-out": """
        import analytics
        def view(request):
            if request.user.analytics_opt_out:
                return None
            analytics.track(request.user.id, "Viewed")
    """,
    "abort-for-minors": """
        import analytics
        from flask import abort
        from flask_login import current_user
        def view():
            if current_user.is_minor:
                abort(403)
            analytics.track(current_user.id, "Viewed")
    """,
    "age-check-raises": """
        import posthog
        def view(request):
            if request.user.age < 13:
                raise PermissionError("no tracking for children")
            posthog.capture(request.user.id, "Viewed")
    """,
    "age-against-constant": """
        import analytics
        from .config import CONSENT_AGE
        from .utils import calculate_age
        def view(request):
            age = calculate_age(request.user.birth_date)
            if age < CONSENT_AGE and not request.user.parent_agreed:
                return None
            analytics.track(request.user.id, "Viewed")
    """,
    "and-short-circuit": """
        import analytics
        def view(request):
            request.user.has_consented and analytics.track(request.user.id, "Viewed")
    """,
    "same-file-predicate-helper": """
        import analytics
        def ok(user):
            return user.analytics_consent and not user.is_minor
        def view(request):
            if not ok(request.user):
                return None
            analytics.track(request.user.id, "Viewed")
    """,
    "same-file-enforcer-helper": """
        import analytics
        def check(user):
            if not user.parental_consent_granted:
                raise PermissionError("consent needed")
        def view(request):
            check(request.user)
            analytics.track(request.user.id, "Viewed")
    """,
    "decorator-by-name": """
        import analytics
        from .consent import consent_required
        @consent_required
        def view(request):
            analytics.track(request.user.id, "Viewed")
    """,
    "same-file-decorator": """
        import functools
        import analytics
        from flask import abort
        from flask_login import current_user
        def gated(view):
            @functools.wraps(view)
            def inner(*args, **kwargs):
                if not current_user.tracking_opt_in:
                    abort(403)
                return view(*args, **kwargs)
            return inner
        @gated
        def view():
            analytics.track(current_user.id, "Viewed")
    """,
    "wrapper-guarded-inside": """
        import analytics
        from flask_login import current_user
        def analytics_allowed(user):
            return bool(user.analytics_consent)
        def track(user, event):
            if not analytics_allowed(user):
                return
            analytics.track(user.analytics_id, event)
        def view():
            track(current_user, "Viewed")
    """,
    "wrapper-call-site-guarded": """
        import analytics
        def track(user, event):
            analytics.track(user.analytics_id, event)
        def view(request):
            if request.user.analytics_consent:
                track(request.user, "Viewed")
    """,
    "parent-purchase": """
        import analytics
        def purchase(parent, amount):
            analytics.track(parent.id, "Purchase", {"amount": amount})
    """,
    "wrapper-called-for-parent": """
        import analytics
        def track(person, event):
            analytics.track(person.analytics_id, event)
        def checkout(parent):
            track(parent, "Checkout")
    """,
    "no-user": """
        import analytics
        def nightly():
            analytics.track("system", "Nightly Job Finished", {"rows": 10})
    """,
    "wrapper-without-callers": """
        import analytics
        def track(user, event):
            analytics.track(user.analytics_id, event)
    """,
}


@pytest.mark.parametrize("name", sorted(COP302_POSITIVE))
def test_cop302_positive(name: str) -> None:
    assert lint(COP302_POSITIVE[name], select=("COP302",)) == ["COP302"]


@pytest.mark.parametrize("name", sorted(COP302_NEGATIVE))
def test_cop302_negative(name: str) -> None:
    assert lint(COP302_NEGATIVE[name], select=("COP302",)) == []


def test_cop302_reports_the_call_site_of_a_wrapper() -> None:
    (finding,) = findings(COP302_POSITIVE["same-file-wrapper-call-site"], select=("COP302",))
    assert finding.line == 8
    assert "track()" in finding.message and "Mixpanel" in finding.message
    assert "consent" in finding.message


def test_cop302_general_audience_needs_a_child() -> None:
    person = COP302_POSITIVE["direct-view"]
    child = """
        import analytics
        def lesson(pupil):
            analytics.track(pupil.id, "Lesson Started")
        def view(request):
            lesson(request.student)
    """
    assert lint(person, select=("COP302",), audience="general") == []
    assert lint(child, select=("COP302",), audience="general") == ["COP302"]
    assert lint(person, select=("COP302",), audience="children") == ["COP302"]


def test_cop302_wrapper_and_guard_helpers_across_files(tmp_path: Path) -> None:
    found, result = lint_tree(tmp_path, {
        "app/__init__.py": "",
        "app/tracking.py": """
            import analytics
            def track_event(user, event, **props):
                analytics.track(user.analytics_id, event, props)
        """,
        "app/rules.py": """
            def gate(user):
                return user.analytics_consent and not user.is_minor
            def active(user):
                return user.is_active
            def require(user):
                if not user.tracking_consent:
                    raise PermissionError("consent")
        """,
        "app/views.py": """
            from .rules import active, gate, require
            from .tracking import track_event
            def signup(request):
                track_event(request.user, "Signed Up")
            def login(request):
                if not gate(request.user):
                    return None
                track_event(request.user, "Logged In")
            def logout(request):
                if not active(request.user):
                    return None
                track_event(request.user, "Logged Out")
            def upload(request):
                require(request.user)
                track_event(request.user, "Uploaded")
            def parent_checkout(parent):
                track_event(parent, "Checkout")
        """,
    }, select=("COP302",))
    assert found == [("COP302", "app/views.py", 5), ("COP302", "app/views.py", 13)]
    assert "track_event()" in result.findings[0].message


def test_cop302_direct_call_guarded_by_helper_in_another_file(tmp_path: Path) -> None:
    found, _ = lint_tree(tmp_path, {
        "app/__init__.py": "",
        "app/consent.py": """
            def allowed(user):
                return user.has_parental_consent
        """,
        "app/views.py": """
            import analytics
            from .consent import allowed
            def ok(request):
                if allowed(request.user):
                    analytics.track(request.user.id, "Viewed")
            def not_ok(request):
                if request.user.is_active:
                    analytics.track(request.user.id, "Viewed")
        """,
    }, select=("COP302",))
    assert found == [("COP302", "app/views.py", 9)]


# -- COP303: profiling and personalised ads ----------------------------------------------

COP303_POSITIVE = {
    "openrtb-coppa-off-and-personalised": """
        import requests
        def ad(user):
            bid = {
                "id": "1",
                "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
                "site": {"domain": "kids.example"},
                "regs": {"coppa": 0},
                "ext": {"personalized": True},
            }
            return requests.post(EXCHANGE_URL, json=bid)
    """,
    "openrtb-without-coppa-flag": """
        import requests
        def ad():
            return requests.post(EXCHANGE_URL, json={"id": "1", "imp": [{"id": "1"}], "app": {"bundle": "x"}})
    """,
    "openrtb-built-and-returned": """
        def bid_request(user):
            return {
                "id": "1", "imp": [{"id": "1"}], "site": {},
                "user": {"id": user.analytics_id}, "regs": {"coppa": False},
            }
    """,
    "gam-url-without-flags": """
        import requests
        def ad():
            return requests.get(
                "https://pubads.g.doubleclick.net/gampad/ads", params={"iu": "/1/home", "sz": "300x250"}
            )
    """,
    "gam-url-tfcd-zero": """
        import requests
        def ad():
            return requests.get("https://securepubads.g.doubleclick.net/gampad/ads?iu=/1/home&tfcd=0&sz=300x250")
    """,
    "django-model-default": """
        from django.db import models
        class Preferences(models.Model):
            personalized_ads = models.BooleanField(default=True)
    """,
    "sqlalchemy-column-default": """
        from app import db
        class UserSettings(db.Model):
            ad_personalisation = db.Column(db.Boolean, default=True, nullable=False)
    """,
    "dataclass-default": """
        from dataclasses import dataclass
        @dataclass
        class Privacy:
            allow_ad_tracking: bool = True
    """,
    "settings-constant": """
        TARGETED_ADVERTISING = True
    """,
    "parameter-default": """
        def fetch_ad(user, personalised_ads=True):
            return None
    """,
}

COP303_NEGATIVE = {
    "openrtb-child-directed": """
        import requests
        def ad():
            bid = {"id": "1", "imp": [{"id": "1"}], "site": {}, "regs": {"coppa": 1}, "ext": {"personalized": False}}
            return requests.post(EXCHANGE_URL, json=bid)
    """,
    "gam-url-with-flags": """
        import requests
        def ad():
            return requests.get(
                "https://pubads.g.doubleclick.net/gampad/ads", params={"iu": "/1/home", "tfcd": 1, "npa": 1}
            )
    """,
    "model-default-off": """
        from django.db import models
        class Preferences(models.Model):
            personalized_ads = models.BooleanField(default=False)
            email_notifications = models.BooleanField(default=True)
    """,
    "personalised-feed-is-not-an-ad": """
        import requests
        def feed(user):
            return requests.post(FEED_URL, json={"personalized": True, "limit": 20})
    """,
    "imp-without-site-or-app": """
        def stats():
            return {"imp": 10, "clicks": 2}
    """,
}


@pytest.mark.parametrize("name", sorted(COP303_POSITIVE))
def test_cop303_positive(name: str) -> None:
    assert lint(COP303_POSITIVE[name], select=("COP303",)) == ["COP303"]


@pytest.mark.parametrize("name", sorted(COP303_NEGATIVE))
def test_cop303_negative(name: str) -> None:
    assert lint(COP303_NEGATIVE[name], select=("COP303",)) == []


def test_cop303_message_lists_the_flags() -> None:
    (finding,) = findings(COP303_POSITIVE["openrtb-coppa-off-and-personalised"], select=("COP303",))
    assert "regs.coppa = 0" in finding.message and "ext.personalized = True" in finding.message
    assert "DSA-28.2" in finding.clauses and "UK-AADC-12" in finding.clauses
    assert finding.line == 8  # the first flag that turns profiling on


def test_cop303_general_audience_needs_a_child() -> None:
    adult_site = COP303_POSITIVE["openrtb-without-coppa-flag"]
    assert lint(adult_site, select=("COP303",), audience="general") == []
    child_settings = """
        class ChildSettings:
            personalized_ads = True
    """
    assert lint(child_settings, select=("COP303",), audience="general") == ["COP303"]


# -- COP304: SDKs collecting personal data by default ---------------------------------------

COP304_POSITIVE = {
    "sentry-send-default-pii": """
        import sentry_sdk
        sentry_sdk.init(dsn=DSN, send_default_pii=True)
    """,
    "sentry-alias-and-from-import": """
        import sentry_sdk as sentry
        from sentry_sdk import init
        def setup():
            sentry.init(dsn=DSN, send_default_pii=True)
            init(dsn=DSN, send_default_pii=True)
    """,
    "sentry-module-constant": """
        import sentry_sdk
        SEND_PII = True
        sentry_sdk.init(dsn=DSN, send_default_pii=SEND_PII)
    """,
    "rollbar-capture-email": """
        import rollbar
        rollbar.init(TOKEN, "production", capture_email=True)
    """,
    "posthog-geoip-client": """
        from posthog import Posthog
        client = Posthog("key", host="https://eu.i.posthog.com", disable_geoip=False)
    """,
    "posthog-geoip-module": """
        import posthog
        posthog.project_api_key = "key"
        posthog.disable_geoip = False
    """,
    "amplitude-remote-ip": """
        from amplitude import BaseEvent
        def event(user):
            return BaseEvent(event_type="Opened", user_id=user.analytics_id, ip="$remote")
    """,
    "mixpanel-http-ip": """
        import requests
        def send(data):
            requests.post("https://api.mixpanel.com/track?ip=1", data={"data": data})
    """,
    "django-analytical-auto-identify": """
        ANALYTICAL_AUTO_IDENTIFY = True
    """,
}

COP304_NEGATIVE = {
    "sentry-pii-off": """
        import sentry_sdk
        sentry_sdk.init(dsn=DSN, send_default_pii=False)
    """,
    "not-sentry-init": """
        def init(**options):
            return options
        init(send_default_pii=True)
    """,
    "sentry-setting-from-config": """
        import sentry_sdk
        from django.conf import settings
        sentry_sdk.init(dsn=settings.SENTRY_DSN, send_default_pii=settings.SENTRY_PII)
    """,
    "posthog-geoip-default": """
        from posthog import Posthog
        client = Posthog("key", disable_geoip=True)
    """,
    "unrelated-disable-geoip": """
        class Options:
            pass
        options = Options()
        options.disable_geoip = False
    """,
    "mixpanel-http-ip-off": """
        import requests
        def send(data):
            requests.post("https://api.mixpanel.com/track?ip=0", data={"data": data})
    """,
}


@pytest.mark.parametrize("name", sorted(COP304_POSITIVE))
def test_cop304_positive(name: str) -> None:
    expected = ["COP304", "COP304"] if name == "sentry-alias-and-from-import" else ["COP304"]
    assert lint(COP304_POSITIVE[name], select=("COP304",)) == expected


@pytest.mark.parametrize("name", sorted(COP304_NEGATIVE))
def test_cop304_negative(name: str) -> None:
    assert lint(COP304_NEGATIVE[name], select=("COP304",)) == []


def test_cop304_message_and_audience() -> None:
    (finding,) = findings(COP304_POSITIVE["sentry-send-default-pii"], select=("COP304",))
    assert finding.line == 3
    assert "Sentry" in finding.message and "send_default_pii=True" in finding.message
    assert "before_send" in finding.message
    assert lint(COP304_POSITIVE["sentry-send-default-pii"], select=("COP304",), audience="general") == []


# -- catalog and configuration ------------------------------------------------------------


def test_catalog_loads_analytics_and_ads_entries() -> None:
    catalog = default_sinks()
    families = {spec.family for spec in catalog.specs}
    assert {"analytics", "ads", "log", "http"} <= families
    labels = {spec.label for spec in catalog.specs if spec.family in ("analytics", "ads")}
    for vendor in ("Segment", "Mixpanel", "Amplitude", "PostHog", "Google Analytics", "Snowplow", "RudderStack",
                   "Braze", "Heap", "Google Ads", "the Facebook Conversions API"):
        assert vendor in labels
    assert all(spec.require_import for spec in catalog.specs if spec.family in ("analytics", "ads"))


def test_url_patterns() -> None:
    url = parse_url("https://\x00.posthog.com/capture/?a=1")
    assert url is not None and url.host == "\x00.posthog.com" and url.path == "/capture/"
    assert parse_url("\x00/mp/collect") is None
    assert parse_url("/local/path") is None
    assert parse_url("https://www.google-analytics.com:443/mp/collect").host == "www.google-analytics.com"


def test_config_sdks_extends_the_catalog() -> None:
    table = {
        "sdks": {
            "sink": [
                {"id": "acme", "family": "analytics", "label": "Acme Insights",
                 "receivers": ["acme_insights.Client()"], "methods": ["record"]},
                {"id": "acme-http", "family": "ads", "label": "Acme Ads", "hosts": ["*.acme-ads.example"]},
            ]
        }
    }
    settings = settings_from_table(table, "pyproject.toml", known_codes())
    assert json.loads(settings.sdks)["sink"][0]["id"] == "acme"
    assert settings.to_json()["sdks"] == table["sdks"]
    assert settings.digest() != Settings().digest()
    source = """
        import acme_insights
        import requests
        client = acme_insights.Client("key")
        def track(child):
            client.record(child.email, "Opened")
            requests.post("https://t.acme-ads.example/conv", json={"email": child.email})
    """
    engine = Engine(Settings(select=("COP301", "COP104"), sdks=settings.sdks))
    result = engine.finish_run([engine.lint_source("app.py", textwrap.dedent(source))])
    assert [(f.rule, f.line) for f in result.findings] == [("COP301", 6), ("COP301", 7)]
    assert "Acme Insights" in result.findings[0].message and "Acme Ads" in result.findings[1].message
    assert lint(source, select=("COP301", "COP104")) == ["COP104"]


@pytest.mark.parametrize("value, problem", [
    ([{"id": "x"}], "must be a table"),
    ({"sink": [{"id": "x", "family": "nope", "functions": ["a.b"]}]}, "family must be one of"),
    ({"sink": [{"id": "x", "family": "analytics"}]}, "matches nothing"),
    ({"sink": [{"id": "x", "family": "analytics", "methods": ["track"]}]}, "needs receivers"),
    ({"sink": [{"id": "x", "family": "analytics", "functions": ["a.b"], "colour": 1}]}, "unknown key"),
    ({"sinks": []}, "unknown key"),
])
def test_config_sdks_is_validated(value, problem) -> None:
    with pytest.raises(ConfigError, match=problem):
        settings_from_table({"sdks": value}, "pyproject.toml", known_codes())
    assert validate_entries(value, "sdks")


# -- the example apps -------------------------------------------------------------------------


def _scan(directory: str) -> List[Tuple[str, str, int]]:
    engine = Engine(Settings(select=("COP3",)))
    root = EXAMPLES / directory
    files = sorted((p, p.relative_to(EXAMPLES).as_posix()) for p in root.rglob("*.py"))
    result = engine.run(files)
    return [(f.rule, f.path, f.line) for f in result.findings]


def test_kidschat_planted_tracking_problems_are_found() -> None:
    found = _scan("kidschat")
    assert found == [
        ("COP304", "kidschat/__init__.py", 21),  # sentry send_default_pii=True
        ("COP302", "kidschat/__init__.py", 54),  # personalised ad fetched for the logged-in child
        ("COP302", "kidschat/auth.py", 70),  # identify_user(user), no consent check
        ("COP302", "kidschat/auth.py", 71),  # track_event(user, "Signed Up")
        ("COP302", "kidschat/auth.py", 98),
        ("COP302", "kidschat/chat.py", 92),
        ("COP302", "kidschat/profile.py", 53),
        ("COP302", "kidschat/profile.py", 105),
        ("COP301", "kidschat/tracking.py", 25),  # Segment identify with email, name, birthday, school
        ("COP301", "kidschat/tracking.py", 32),  # Mixpanel people_set
        ("COP301", "kidschat/tracking.py", 46),  # track_event: school and grade to Segment
        ("COP301", "kidschat/tracking.py", 47),  # ... to Mixpanel
        ("COP301", "kidschat/tracking.py", 48),  # ... and email and name to PostHog
        ("COP303", "kidschat/tracking.py", 69),  # OpenRTB regs.coppa = 0, personalized = True
        ("COP301", "kidschat/tracking.py", 73),  # yob, interests, location to the ad exchange
        ("COP302", "kidschat/tutors.py", 63),
    ]


def test_kidschat_safe_has_no_tracking_findings() -> None:
    assert _scan("kidschat_safe") == []


def test_cop302_link_facts_come_only_from_files_a_link_points_at(tmp_path: Path) -> None:
    """Guard helpers and calls into other modules are recorded only where a wrapper or helper name leads.

    The results equal a run that records them in every file (prefilter off).
    """
    files = {
        "app/__init__.py": "",
        "app/tracking.py": """
            import analytics
            def track_event(user, event):
                analytics.track(user.analytics_id, event)
        """,
        "app/audit.py": """
            from .tracking import track_event
            def note_signup(member):
                track_event(member, "Signed Up")
        """,
        "app/views.py": """
            from .audit import note_signup
            def signup(request):
                note_signup(request.user)
        """,
        "app/profile.py": """
            from .models import save_profile
            def edit(request):
                if not request.user.is_authenticated:
                    return None
                save_profile(request.user)
        """,
    }
    found, result = lint_tree(tmp_path, files, select=("COP302",))
    assert found == [("COP302", "app/views.py", 4)]
    engine = Engine(Settings(select=("COP302",)))
    paths = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    by_path = {r.path: r for r in engine.lint_linked(paths, engine.lint_many(paths))}
    link_analysis = f"{TrackingLinkFacts.__module__}.{TrackingLinkFacts.__qualname__}"
    assert link_analysis in by_path["app/profile.py"].skipped  # names no wrapper: left out
    assert not any(f.kind.startswith("tracking.call") for f in by_path["app/profile.py"].facts)
    assert not by_path["app/views.py"].skipped  # calls a wrapper of a wrapper: linted in full
    assert any(f.kind == "tracking.call" for f in by_path["app/views.py"].facts)
    off = Engine(Settings(select=("COP302",)))
    off.prefilter = None
    assert off.run(paths).findings == result.findings
