"""COP101-COP105: positive cases, negative cases and near misses.

Each case is real-looking code; the expected codes are exact (rule and count),
so a rule that starts firing on a near miss, or stops firing on a leak, fails.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List

import pytest

from copguard_lint.config import Settings
from copguard_lint.engine import Engine


def lint(source: str, *, audience: str = "mixed", path: str = "app.py") -> List[str]:
    engine = Engine(Settings(select=("COP1",), audience=audience))
    result = engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])
    return [f.rule for f in result.findings]


def lint_messages(source: str, **kwargs) -> List[str]:
    engine = Engine(Settings(select=("COP1",), **kwargs))
    result = engine.finish_run([engine.lint_source("app.py", textwrap.dedent(source))])
    return [f.message for f in result.findings]


POSITIVE = {
    "logging-fstring-child-email": ("""
        import logging
        def register(child):
            logging.info(f"registered {child.email}")
    """, ["COP101"]),
    "module-logger-percent": ("""
        import logging
        logger = logging.getLogger(__name__)
        def signup(pupil):
            logger.warning("signup for %s born %s", pupil.first_name, pupil.date_of_birth)
    """, ["COP101"]),
    "flask-app-logger-form": ("""
        from flask import Flask, request
        app = Flask(__name__)
        @app.route("/signup", methods=["POST"])
        def signup():
            app.logger.info("form: %s", request.form)
            return "ok"
    """, ["COP101"]),
    "print-request-post": ("""
        def view(request):
            print(request.POST)
    """, ["COP101"]),
    "logging-extra-dict": ("""
        import logging
        log = logging.getLogger("kids")
        def save(student):
            log.info("saved", extra={"email": student.email})
    """, ["COP101"]),
    "assignment-chain": ("""
        import logging
        def notify(kid):
            address = kid.home_address
            text = "sending to " + address
            logging.debug(text)
    """, ["COP101"]),
    "format-method": ("""
        import logging
        def f(child):
            logging.error("bad dob {}".format(child.birth_date))
    """, ["COP101"]),
    "param-named-personal": ("""
        import logging
        def send_reset(email):
            logging.info("reset link sent to %s", email)
    """, ["COP101"]),
    "structlog-kwargs": ("""
        import structlog
        log = structlog.get_logger()
        def f(child):
            log.info("signup", phone=child.phone_number)
    """, ["COP101"]),
    "loguru": ("""
        from loguru import logger
        def f(child):
            logger.info(f"child lives at {child.postcode}")
    """, ["COP101"]),
    "stderr-write": ("""
        import sys
        def f(child):
            sys.stderr.write(child.full_name)
    """, ["COP101"]),
    "warnings-warn": ("""
        import warnings
        def f(child):
            warnings.warn(f"duplicate email {child.email}")
    """, ["COP101"]),
    "for-target": ("""
        import logging
        def f(children):
            for email in (c.email for c in children):
                logging.info(email)
    """, ["COP101"]),
    "raise-with-email": ("""
        def f(child):
            raise ValueError(f"no account for {child.email}")
    """, ["COP102"]),
    "logger-exception": ("""
        import logging
        logger = logging.getLogger(__name__)
        def f(child):
            try:
                pass
            except Exception:
                logger.exception("failed for %s", child.date_of_birth)
    """, ["COP102"]),
    "sentry-set-user": ("""
        import sentry_sdk
        def f(child):
            sentry_sdk.set_user({"id": child.id, "email": child.email})
    """, ["COP103"]),
    "sentry-breadcrumb-alias": ("""
        from sentry_sdk import add_breadcrumb as crumb
        def f(child):
            crumb(message=f"opened by {child.first_name}")
    """, ["COP103"]),
    "sentry-scope": ("""
        import sentry_sdk
        def f(child):
            with sentry_sdk.push_scope() as scope:
                scope.set_tag("contact", child.email)
    """, ["COP103"]),
    "requests-post-json": ("""
        import requests
        def f(child):
            requests.post("https://tutor-partner.example.com/api", json={"name": child.first_name, "school": child.school})
    """, ["COP104"]),
    "httpx-client": ("""
        import httpx
        client = httpx.Client()
        def f(child):
            client.post(PARTNER_URL, data={"dob": child.date_of_birth})
    """, ["COP104"]),
    "requests-url-fstring": ("""
        import requests
        def f(child):
            requests.get(f"https://api.example.com/lookup?email={child.email}")
    """, ["COP104"]),
    "redirect-email": ("""
        from flask import redirect, url_for
        def f(child):
            return redirect(url_for("welcome", email=child.email))
    """, ["COP105"]),
    "set-cookie": ("""
        def view(request, child):
            response = render(request, "x.html")
            response.set_cookie("kid_email", child.email)
            return response
    """, ["COP105"]),
    "helper-in-same-file": ("""
        import logging
        logger = logging.getLogger(__name__)
        def audit(event, **details):
            logger.info("%s %s", event, details)
        def signup(child):
            audit("signup", email=child.email)
    """, ["COP101"]),
    "whole-object-dump": ("""
        import logging
        def f(child):
            logging.info("child: %s", vars(child))
    """, ["COP101"]),
    "name-slice-beyond-initial": ("""
        import logging
        def f(child):
            logging.info("child %s", child.first_name[:3])
    """, ["COP101"]),
    "email-list-first-element": ("""
        import logging
        def f(user):
            logging.info("primary %s", user.emails[0])
    """, ["COP101"]),
    "dict-get-key": ("""
        import logging
        def f(request):
            logging.info("dob %s", request.form.get("date_of_birth"))
    """, ["COP101"]),
}

NEGATIVE = {
    "log-id-only": """
        import logging
        def f(child):
            logging.info("registered child %s", child.id)
    """,
    "log-count": """
        import logging
        def f(children):
            logging.info("%d children signed up", len(children))
    """,
    "email-sent-flag": """
        import logging
        def f(child, email_sent):
            logging.info("email_sent=%s", email_sent)
    """,
    "settings-email-host": """
        import logging
        from django.conf import settings
        def f():
            logging.info("mail via %s", settings.EMAIL_HOST)
    """,
    "hashed-email": """
        import hashlib, logging
        def f(child):
            digest = hashlib.sha256(child.email.encode()).hexdigest()
            logging.info("child %s", digest)
    """,
    "masked-email-helper": """
        import logging
        def f(child):
            logging.info("sent to %s", mask_email(child.email))
    """,
    "reassigned-to-hash": """
        import logging
        def f(email):
            email = hash_value(email)
            logging.info("user %s", email)
    """,
    "parent-email-consent": """
        import logging
        def request_consent(child, parent_email):
            logging.info("consent request sent to %s", parent_email)
    """,
    "teacher-name": """
        import logging
        def f(teacher):
            logging.info("class led by %s", teacher.full_name)
    """,
    "comparison": """
        import logging
        def f(child):
            logging.info("has email: %s", child.email is not None)
    """,
    "template-name": """
        import logging
        def f(email_template, file_name, class_name):
            logging.info("%s %s %s", email_template, file_name, class_name)
    """,
    "internal-http": """
        import requests
        def f(child):
            requests.post("http://localhost:8000/internal", json={"email": child.email})
    """,
    "raise-without-data": """
        def f(child):
            raise ValueError("invalid email address")
    """,
    "constant-support-email": """
        import logging
        SUPPORT_EMAIL = "help@example.com"
        def f():
            logging.info("contact %s", SUPPORT_EMAIL)
    """,
    "non-logger-info": """
        def f(child, catalog):
            catalog.info(child.email)
    """,
    "payload-non-personal-key": """
        import logging
        def f(request):
            logging.info("page %s", request.args.get("page"))
    """,
    "quasi-identifier-alone": """
        import logging
        def f(child):
            logging.info("signup child_id=%s age=%s grade=%s", child.id, child.age, child.grade)
    """,
    "user-facing-http-error": """
        from werkzeug.exceptions import Forbidden
        def f(agreement):
            raise Forbidden(f"Please log in as {agreement.user.full_name}")
    """,
    "validation-error-shows-own-input": """
        from django.core.exceptions import ValidationError
        def clean_email(email):
            raise ValidationError(f"{email} is already registered")
    """,
    "click-command-console-output": """
        import click
        @cli.command()
        def show_user(user):
            print(user.email)
    """,
    "constant-key-field-of-payload-param": """
        def validate(action):
            if action.get("op") not in ("add", "remove"):
                raise ValueError("%s op is unsupported" % action.get("op"))
        def view(request):
            for action in request.data:
                validate(action)
    """,
    "fetch-avatar-url": """
        import requests
        def download(user, avatar_url):
            return requests.get(avatar_url, timeout=5)
    """,
    "oauth-secret-to-token-endpoint": """
        import requests
        def token(client_secret, code):
            return requests.post("https://auth.example.com/token", data={"client_secret": client_secret, "code": code})
    """,
    "query-string-rebuilt": """
        from urllib.parse import urlencode
        def next_page(request):
            return "?" + urlencode(request.GET)
    """,
    "tuple-returning-helper": """
        import logging
        def read_options(options):
            return options["facility"], options["password"]
        def handle(options):
            facility, secret_ref = read_options(options)
            logging.info("facility %s", facility)
    """,
    "avatar-from-initial": """
        from flask import url_for
        def avatar(user):
            first_name = user.first_name
            return url_for("assets.avatar", name=first_name[0] if first_name else None)
    """,
    "room-full-name": """
        import logging
        def notify(occurrence):
            logging.info("room %s", occurrence.room.full_name)
    """,
    "len-of-name": """
        import logging
        def f(child):
            logging.info("name length %d", len(child.first_name))
    """,
}


def test_test_modules_are_fixture_data() -> None:
    source = POSITIVE["logging-fstring-child-email"][0]
    assert lint(source, path="tests/test_signup.py") == []
    assert lint(source, path="app/signup_test.py") == []
    assert lint(source, path="app/signup.py") == ["COP101"]


def test_management_command_console_output_is_not_a_log() -> None:
    source = """
        import logging
        def handle(user):
            print(user.email)
            logging.info(user.email)
    """
    assert lint(source, path="shop/management/commands/list_users.py") == ["COP101"]
    assert lint(source, path="shop/views.py") == ["COP101", "COP101"]


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive(name: str) -> None:
    source, expected = POSITIVE[name]
    assert sorted(lint(source)) == sorted(expected)


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative(name: str) -> None:
    assert lint(NEGATIVE[name]) == []


def test_message_names_data_sink_and_fix() -> None:
    messages = lint_messages(POSITIVE["logging-fstring-child-email"][0])
    assert len(messages) == 1
    message = messages[0]
    assert "child's email" in message
    assert "logging.info" in message
    assert "mask or hash" in message


def test_general_audience_counts_only_child_data() -> None:
    unknown_owner = """
        import logging
        def f(user):
            logging.info("login %s", user.email)
    """
    assert lint(unknown_owner, audience="mixed") == ["COP101"]
    assert lint(unknown_owner, audience="general") == []
    assert lint(POSITIVE["logging-fstring-child-email"][0], audience="general") == ["COP101"]


def test_cross_file_helper(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "utils.py").write_text(textwrap.dedent("""
        import logging
        logger = logging.getLogger(__name__)
        def audit(event, **details):
            logger.info("%s %s", event, details)
    """))
    (tmp_path / "app" / "views.py").write_text(textwrap.dedent("""
        from .utils import audit
        def signup(child):
            audit("signup", email=child.email)
            audit("signup", child_id=child.id)
    """))
    engine = Engine(Settings(select=("COP1",)))
    files = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    result = engine.run(files)
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("COP101", "app/views.py", 4)]
    assert "audit" in result.findings[0].message


# -- session 2 precision work: where a value comes from decides whose it is ----
# Each group: the false positive seen on a real app (rewritten), and the near
# miss on the other side of the line, which must still be reported.

PROVENANCE = {
    # The service's own configuration is the operator's, not a user's.
    "settings-store-read": ("""
        import requests
        from app.settings import hub_settings
        def sync():
            contact_name = hub_settings.get("contact_name")
            contact_email = hub_settings.get("contact_email")
            requests.post("https://hub.example.org/api", json={"name": contact_name, "email": contact_email})
    """, []),
    "person-settings-are-personal": ("""
        import requests
        def sync(user):
            email = user.settings.get("backup_email")
            requests.post("https://hub.example.org/api", json={"email": email})
    """, ["COP104"]),
    "constructor-reads-config-key": ("""
        import requests
        class PurgeClient:
            def __init__(self, params):
                self.account_email = params.pop("EMAIL", None)
            def purge(self, urls):
                headers = {"X-Auth-Email": self.account_email}
                requests.post("https://api.cdn.example/purge", json={"files": urls}, headers=headers)
    """, []),
    "constructor-keeps-a-users-email": ("""
        import logging
        logger = logging.getLogger(__name__)
        class SignupService:
            def __init__(self, email):
                self.email = email
            def run(self):
                logger.info("signing up %s", self.email)
    """, ["COP101"]),
    "environment-variable": ("""
        import logging, os
        def boot():
            admin_email = os.environ.get("ADMIN_EMAIL")
            logging.info("admin is %s", admin_email)
    """, []),
    "integration-configuration-secret": ("""
        import logging
        class LmsClient:
            def token(self):
                config = self.enterprise_configuration
                data = {"client_id": config.client_id, "client_secret": config.decrypted_client_secret}
                logging.error("token request failed: %s", data)
    """, []),
    # Aggregates describe groups, not a person.
    "group-by-counts": ("""
        import logging
        from django.db.models import Count
        logger = logging.getLogger(__name__)
        def stats(queryset):
            counts = queryset.values("gender").annotate(count=Count("gender"))
            data = {gc["gender"]: gc["count"] for gc in counts}
            logger.debug("stats %s", data)
    """, []),
    "annotated-rows-are-people": ("""
        import logging
        from django.db.models import Count
        logger = logging.getLogger(__name__)
        def stats(queryset):
            rows = queryset.annotate(posts=Count("post"))
            for row in rows:
                logger.debug("%s wrote %d", row.email, row.posts)
    """, ["COP101"]),
    # Prose the program wrote is not a user's message.
    "composed-user-message": ("""
        def check(start_date):
            user_message = f"Course does not start until {start_date:%B %d, %Y}"
            raise AccessDenied(user_message)
    """, []),
    "user-message-from-request": ("""
        def check(request):
            user_message = request.POST["message"]
            raise AccessDenied(user_message)
    """, ["COP102"]),
    # A form field's validation hook reports to the person who filled the form.
    "field-pre-validate": ("""
        class PersonListField(Field):
            def pre_validate(self, form):
                for person in self.data:
                    raise ValueError("Person with email '{}' is duplicated".format(person.email))
    """, []),
    "form-save-raises": ("""
        class SignupForm(Form):
            def save(self, request):
                email = self.cleaned_data.get("email")
                raise ValueError(email)
    """, ["COP102"]),
    # A service on the local network (a single-label host name) is not a third party.
    "proxy-to-sibling-service": ("""
        import requests
        from django.conf import settings
        def proxy(request, suffix):
            service_url = getattr(settings, "COMMENTS_SERVICE_URL", "http://forum:4567")
            url = f"{service_url}/api/v1/{suffix}"
            return requests.request(request.method, url, data=request.POST.dict())
    """, []),
    "proxy-to-external-service": ("""
        import requests
        from django.conf import settings
        def proxy(request, suffix):
            service_url = getattr(settings, "COMMENTS_SERVICE_URL", "https://comments.example.com")
            url = f"{service_url}/api/v1/{suffix}"
            return requests.request("POST", url, data=request.POST.dict())
    """, ["COP104"]),
    # A form-encoded request body is not a URL; the request is the sink.
    "urlencoded-body": ("""
        from urllib.parse import urlencode
        from urllib.request import Request, urlopen
        def is_spam(request, form):
            data = {"user_ip": request.META.get("REMOTE_ADDR"), "comment_author_email": form.cleaned_data["email"]}
            return urlopen(Request("https://rest.akismet.example/check", urlencode(data).encode("utf-8"))).read()
    """, ["COP104"]),
    "urlencoded-redirect": ("""
        from urllib.parse import urlencode
        from django.shortcuts import redirect
        def done(ticket):
            return redirect("/view/?" + urlencode({"email": ticket.submitter_email}))
    """, ["COP105", "COP105"]),
    # A field of a course is the course's.
    "course-passports": ("""
        import logging
        def check(course):
            for passport in course.lti_passports:
                logging.info("passport %s", passport)
    """, []),
    "course-passports-or-default": ("""
        import logging
        def check(course):
            lti_passports = course.lti_passports if course else []
            for lti_passport in lti_passports:
                raise LtiError("Could not parse LTI passport: {lti_passport!r}".format(lti_passport=lti_passport))
    """, []),
    "student-passport": ("""
        import logging
        def check(student):
            logging.info("passport %s", student.passport_number)
    """, ["COP101"]),
    # Python's own metadata.
    "dunder-name": ("""
        import logging
        log = logging.getLogger(__name__)
        def handler(sender, **kwargs):
            log.info("signal from %s", sender.__name__)
    """, []),
    # The class of the object says whose fields they are.
    "queue-mailbox-address": ("""
        import logging
        def poll():
            for q in Queue.objects.filter(allow_email_submission=True):
                logging.info(f"Processing queue: {q.slug} Email address: {q.email_address}")
    """, []),
    "student-rows": ("""
        import logging
        def poll():
            for s in Student.objects.filter(active=True):
                logging.info("student %s", s.first_name)
    """, ["COP101"]),
    "organisation-customer-name": ("""
        import logging
        def sync(enterprise_customer):
            logging.info("syncing %s", enterprise_customer.name)
    """, []),
    "organisation-customer-user-email": ("""
        import logging
        def sync(membership):
            logging.info("inviting %s", membership.enterprise_customer_user.user_email)
    """, ["COP101"]),
    # A `**mapping` binds only the parameters not already given.
    "double-star-does-not-rebind-positional": ("""
        def update_thread(thread_id, title=None, body=None):
            raise LookupError(f"Thread does not exist with Id: {thread_id}")
        def view(request, thread_id):
            update_thread(thread_id, **request.data)
    """, []),
    "double-star-binds-the-rest": ("""
        def update_thread(thread_id, body=None):
            raise LookupError(f"cannot save {body}")
        def view(request, thread_id):
            update_thread(thread_id, **request.data)
    """, ["COP102"]),
    # A point of contact is an adult role.
    "instance-contact": ("""
        import requests
        def register(form):
            contact_name = form.contact_name.data
            contact_email = form.contact_email.data
            requests.post("https://hub.example.org/api", json={"contact": contact_name, "email": contact_email})
    """, []),
    "friend-email": ("""
        import logging
        def add(friend):
            logging.info("added %s", friend.email)
    """, ["COP101"]),
    # Biometric identifiers.
    "face-embedding-to-api": ("""
        import requests
        def enrol(student, image):
            face_embedding = encode(image)
            requests.post("https://faces.example.com/enrol", json={"id": student.id, "embedding": face_embedding})
    """, ["COP104"]),
    "file-fingerprint": ("""
        import logging
        def upload(path):
            file_fingerprint = fingerprint_of(path)
            logging.info("uploaded %s", file_fingerprint)
    """, []),
}


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_provenance(name: str) -> None:
    source, expected = PROVENANCE[name]
    assert lint(source) == expected


def test_biometric_message_names_the_category() -> None:
    messages = lint_messages("""
        import logging
        def enrol(child):
            logging.info("template %s", child.face_template)
    """, audience="mixed")
    assert len(messages) == 1 and "facial template" in messages[0] and "a child's" in messages[0]
