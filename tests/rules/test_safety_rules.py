"""COP401-COP405: project rules over small multi-file apps, near misses, and the example apps.

Every case is a whole little project written to tmp_path and run like
`copguard check` (project rules run after every file is read). Expected
findings are exact: (rule, path, line).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest

from copguard_lint.config import Settings, settings_from_table
from copguard_lint.engine import Engine
from copguard_lint.registry import known_codes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# COP406 (content filters) has its own cases in test_content_filter_rules.py.
COP401_405 = ("COP401", "COP402", "COP403", "COP404", "COP405")


def run(tmp_path: Path, files: Dict[str, str], select: Sequence[str] = COP401_405, settings: Settings = None):
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    engine = Engine(settings or Settings(select=tuple(select)))
    found = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    return engine.run(found)


def where(result) -> List[Tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in result.findings]


# -- a chat app with nothing to protect its users ------------------------------------------

UNSAFE = {
    "chat/__init__.py": "",
    "chat/models.py": """
        from .extensions import db

        class Conversation(db.Model):
            id = db.Column(db.Integer, primary_key=True)

        class Message(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            body = db.Column(db.Text)

        class Comment(db.Model):
            id = db.Column(db.Integer, primary_key=True)
    """,
    "chat/views.py": """
        from flask import Blueprint, request
        from flask_login import current_user
        from .extensions import db
        from .models import Message

        bp = Blueprint("chat", __name__)

        @bp.route("/messages", methods=["POST"])
        def send_message():
            message = Message(sender=current_user, body=request.form["body"])
            db.session.add(message)
            db.session.commit()
            return {"id": message.id}
    """,
}


def test_app_without_report_or_block(tmp_path):
    result = run(tmp_path, UNSAFE)
    assert where(result) == [("COP401", "chat/models.py", 7), ("COP402", "chat/models.py", 7)]
    report, block = (f.message for f in result.findings)
    assert report.startswith("Message (messaging) lets users message each other")
    assert "no Report or Flag model" in report and "comments (Comment)" in report
    assert "grooming" in report
    assert "no Block model" in block and "unblock" in block


# -- the same app done right, spread over several files ------------------------------------

SAFE = {
    "chat/__init__.py": "",
    "chat/config.py": """
        CHILD_HELPLINE = {"name": "Child Helpline", "phone": "1280"}
    """,
    "chat/models.py": """
        from .extensions import db

        class Message(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            status = db.Column(db.String(16), default="visible")

        class Photo(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            status = db.Column(db.String(16), default="pending_review")

        class Block(db.Model):
            blocker_id = db.Column(db.Integer, primary_key=True)
            blocked_id = db.Column(db.Integer, primary_key=True)

        class Report(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            reporter_id = db.Column(db.Integer)
            reason = db.Column(db.String(40))
    """,
    "chat/permissions.py": """
        from .models import Block

        def can_contact(sender, recipient):
            return not Block.query.filter_by(blocker_id=recipient.id, blocked_id=sender.id).first()
    """,
    "chat/moderation.py": """
        import requests

        def hash_match(path):
            return requests.post("https://hashes.example/match", files={"f": open(path, "rb")}).json()

        def screen_upload(photo):
            result = hash_match(photo.path)
            photo.status = "blocked" if result["match"] else "pending_review"
    """,
    "chat/views.py": """
        from flask import Blueprint, abort, current_app, render_template, request
        from flask_login import current_user
        from .extensions import db
        from .models import Block, Message, Photo, Report
        from .permissions import can_contact
        from .moderation import screen_upload

        bp = Blueprint("chat", __name__)

        @bp.route("/messages", methods=["POST"])
        def send_message():
            recipient = load_user(request.form["to"])
            if not can_contact(current_user, recipient):
                abort(403)
            db.session.add(Message(sender=current_user, recipient=recipient, body=request.form["body"]))
            db.session.commit()

        @bp.route("/block/<int:user_id>", methods=["POST"])
        def block_user(user_id):
            db.session.add(Block(blocker_id=current_user.id, blocked_id=user_id))
            db.session.commit()

        @bp.route("/report", methods=["POST"])
        def report():
            db.session.add(Report(reporter_id=current_user.id, reason=request.form["reason"]))
            db.session.commit()
            return render_template("report_sent.html", helpline=current_app.config["CHILD_HELPLINE"])

        @bp.route("/photos", methods=["POST"])
        def upload_photo():
            upload = request.files["photo"]
            photo = Photo(owner=current_user)
            upload.save(photo.path)
            screen_upload(photo)
            db.session.commit()
    """,
}


def test_complete_app_is_quiet(tmp_path):
    result = run(tmp_path, SAFE)
    assert where(result) == []


def test_complete_app_run_file_by_file_is_not_judged(tmp_path):
    """Project rules need the whole tree: one file alone never fires COP4xx in the per-file pass."""
    engine = Engine(Settings(select=("COP4",)))
    text = textwrap.dedent(UNSAFE["chat/models.py"])
    assert engine.lint_source("chat/models.py", text).findings == ()


# -- COP401 near misses --------------------------------------------------------------------


def test_report_for_one_feature_only(tmp_path):
    files = dict(UNSAFE)
    files["chat/reports.py"] = """
        from .extensions import db

        class CommentReport(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            comment_id = db.Column(db.Integer, db.ForeignKey("comments.id"))
    """
    result = run(tmp_path, files, select=("COP401",))
    assert where(result) == [("COP401", "chat/models.py", 7)]
    assert "covers only comments" in result.findings[0].message


def test_general_report_handler_covers_everything(tmp_path):
    files = dict(UNSAFE)
    files["chat/safety.py"] = """
        from flask import request
        @bp.route("/report", methods=["POST"])
        def report_user(user_id):
            queue.put(("report", user_id, request.form["reason"]))
    """
    assert where(run(tmp_path, files, select=("COP401",))) == []


def test_a_sales_report_is_not_a_way_to_report_abuse(tmp_path):
    files = dict(UNSAFE)
    files["chat/analytics.py"] = """
        from .extensions import db
        class Report(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            month = db.Column(db.String(7))
            total = db.Column(db.Integer)

        def generate_report(month):
            return Report(month=month)
    """
    assert where(run(tmp_path, files, select=("COP401",))) == [("COP401", "chat/models.py", 7)]


def test_email_messages_are_not_a_feature(tmp_path):
    files = {
        "shop/mail.py": """
            def send_message(request, user, subject, body):
                EmailMessage(subject, body, to=[user.email]).send()
        """,
        "shop/models.py": """
            from django.db import models
            class EmailMessage(models.Model):
                subject = models.CharField(max_length=100)
        """,
    }
    assert where(run(tmp_path, files)) == []


def test_report_model_in_tests_does_not_count(tmp_path):
    files = dict(UNSAFE)
    files["tests/test_models.py"] = """
        from chat.extensions import db
        class Report(db.Model):
            reporter_id = db.Column(db.Integer)
    """
    assert ("COP401", "chat/models.py", 7) in where(run(tmp_path, files, select=("COP401",)))


# -- COP402 / COP403 ------------------------------------------------------------------------


def test_block_relation_field_satisfies_cop402_but_send_must_check_it(tmp_path):
    files = dict(UNSAFE)
    files["chat/users.py"] = """
        from django.db import models
        class Member(models.Model):
            blocked_users = models.ManyToManyField("self", symmetrical=False)
    """
    result = run(tmp_path, files, select=("COP402", "COP403"))
    assert where(result) == [("COP403", "chat/views.py", 10)]
    message = result.findings[0].message
    assert message.startswith("send_message() creates a Message for another user")
    assert "Member.blocked_users" in message


def test_an_admin_suspension_flag_is_not_a_block(tmp_path):
    files = dict(UNSAFE)
    files["chat/users.py"] = """
        from django.db import models
        class Member(models.Model):
            is_blocked = models.BooleanField(default=False)
            blocked_at = models.DateTimeField(null=True)

        def block_ip(request, address):
            Firewall.objects.create(address=address)
    """
    assert where(run(tmp_path, files, select=("COP402",))) == [("COP402", "chat/models.py", 7)]


def test_block_checked_by_every_caller(tmp_path):
    files = {
        "app/models.py": SAFE["chat/models.py"],
        "app/services.py": """
            from .models import Message
            def send_message(sender, recipient, body):
                return Message(sender=sender, recipient=recipient, body=body)
        """,
        "app/views.py": """
            from .models import Block
            from .services import send_message

            @bp.route("/send", methods=["POST"])
            def message_view(request):
                if Block.exists_between(request.user, recipient):
                    return 403
                send_message(request.user, recipient, request.POST["body"])
        """,
    }
    assert where(run(tmp_path, files, select=("COP403",))) == []


def test_unchecked_helper_is_reported_once_at_the_handler(tmp_path):
    files = {
        "app/models.py": SAFE["chat/models.py"],
        "app/services.py": """
            from .models import Message
            def send_message(sender, recipient, body):
                return Message(sender=sender, recipient=recipient, body=body)
        """,
        "app/views.py": """
            from .services import send_message

            @bp.route("/send", methods=["POST"])
            def send_message_view(request):
                send_message(request.user, recipient, request.POST["body"])
        """,
    }
    assert where(run(tmp_path, files, select=("COP403",))) == [("COP403", "app/views.py", 5)]


def test_configured_block_check(tmp_path):
    files = dict(SAFE)
    files["chat/permissions.py"] = """
        def is_shunned(sender, recipient):
            return recipient.id in sender.shunned_ids
        def can_contact(sender, recipient):
            return not is_shunned(sender, recipient)
    """
    settings = settings_from_table(
        {"select": ["COP403"], "safety": {"block-checks": ["is_shunned"]}}, "pyproject.toml", known_codes()
    )
    assert where(run(tmp_path, files, settings=settings)) == []
    assert where(run(tmp_path, files, select=("COP403",))) == [("COP403", "chat/views.py", 12)]


def test_publishing_a_post_is_not_contact(tmp_path):
    files = {
        "forum/models.py": """
            from django.db import models
            class Post(models.Model):
                body = models.TextField()
            class UserBlock(models.Model):
                blocker = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        """,
        "forum/views.py": """
            from .models import Post
            def create_post(request):
                Post.objects.create(author=request.user, body=request.POST["body"])
        """,
    }
    result = run(tmp_path, files)
    assert [f.rule for f in result.findings] == ["COP401"]  # a report is still needed; COP403 stays quiet


# -- COP404 ---------------------------------------------------------------------------------


UPLOADS = {
    "django_form": ("""
        from .forms import PhotoForm
        def upload_photo(request):
            form = PhotoForm(request.POST, request.FILES)
            if form.is_valid():
                form.save()
    """, True),
    "fastapi": ("""
        from fastapi import APIRouter, UploadFile
        router = APIRouter()
        @router.post("/avatar")
        async def set_avatar(file: UploadFile):
            await storage.save(file.filename, await file.read())
    """, True),
    "boto3": ("""
        import boto3
        s3 = boto3.client("s3")
        @app.route("/selfie", methods=["POST"])
        def store_selfie():
            s3.put_object(Bucket="media", Key=new_key(), Body=request.get_data())
    """, True),
    "scanned_via_classifier": ("""
        def upload_photo(request):
            image = request.FILES["image"]
            if nsfw_classifier.predict(image) > 0.5:
                return reject()
            Photo.objects.create(image=image)
    """, False),
    "held_for_review": ("""
        def upload_photo(request):
            Photo.objects.create(image=request.FILES["image"], status="pending_review")
    """, False),
    "csv_import": ("""
        def import_roster(request):
            rows = parse(request.FILES["roster_csv"])
            Student.objects.bulk_create(rows)
    """, False),
}


@pytest.mark.parametrize("case", sorted(UPLOADS))
def test_uploads(tmp_path, case):
    source, fires = UPLOADS[case]
    result = run(tmp_path, {"app/views.py": source}, select=("COP404",))
    assert [f.rule for f in result.findings] == (["COP404"] if fires else [])


def test_admin_uploads_are_staff_not_users(tmp_path):
    files = {"app/admin/views.py": UPLOADS["django_form"][0]}
    assert where(run(tmp_path, files, select=("COP404",))) == []


def test_configured_scan_hook(tmp_path):
    files = {"app/views.py": """
        from .trust import check_with_vendor
        def upload_photo(request):
            photo = Photo.objects.create(image=request.FILES["image"])
            check_with_vendor(photo)
    """}
    assert [f.rule for f in run(tmp_path, files, select=("COP404",)).findings] == ["COP404"]
    settings = settings_from_table(
        {"select": ["COP404"], "safety": {"scan-hooks": ["check_with_vendor"]}}, "pyproject.toml", known_codes()
    )
    assert where(run(tmp_path, files, settings=settings)) == []


def test_media_published_by_default(tmp_path):
    files = {"app/models.py": """
        from django.db import models
        class Photo(models.Model):
            image = models.ImageField(upload_to="photos")
            is_published = models.BooleanField(default=True)
            flagged = models.BooleanField(default=False)
    """}
    result = run(tmp_path, files, select=("COP404",))
    assert where(result) == [("COP404", "app/models.py", 5)]
    assert result.findings[0].message.startswith("Photo.is_published defaults to True")
    files["app/moderation.py"] = """
        def scan_photo(photo):
            return photodna.match(photo.image.path)
    """
    assert where(run(tmp_path, files, select=("COP404",))) == []


# -- COP405 ---------------------------------------------------------------------------------


def test_report_without_help(tmp_path):
    files = {
        "app/settings.py": """
            CHILD_HELPLINE = "1280"
        """,
        "app/views.py": """
            @bp.route("/report", methods=["POST"])
            def report_user():
                Report.objects.create(reporter=current_user, reason=request.form["reason"])
                return render_template("thanks.html")
        """,
    }
    result = run(tmp_path, files, select=("COP405",))
    assert where(result) == [("COP405", "app/views.py", 3)]
    assert "CHILD_HELPLINE is configured in app/settings.py but not used" in result.findings[0].message


def test_help_in_a_helper_or_every_page(tmp_path):
    files = {
        "app/help.py": """
            def help_resources():
                return {"hotline": settings.SAFETY_HOTLINE}
        """,
        "app/views.py": """
            from .help import help_resources
            @bp.route("/report", methods=["POST"])
            def report_user():
                return render_template("thanks.html", **help_resources())
        """,
    }
    assert where(run(tmp_path, files, select=("COP405",))) == []
    files["app/help.py"] = "def nothing():\n    pass\n"
    files["app/__init__.py"] = """
        def create_app():
            app = Flask(__name__)
            @app.context_processor
            def safety_links():
                return {"helpline_url": "https://helpline.example"}
            return app
    """
    assert where(run(tmp_path, files, select=("COP405",))) == []


# -- the example apps -----------------------------------------------------------------------


def example(name: str, select: Sequence[str]) -> List[Tuple[str, str, int]]:
    root = EXAMPLES / name
    engine = Engine(Settings(select=tuple(select)))
    files = sorted((p, p.relative_to(EXAMPLES).as_posix()) for p in root.rglob("*.py"))
    return where(engine.run(files))


def test_kidschat_planted_safety_and_default_findings():
    assert example("kidschat", ("COP4", "COP5")) == [
        ("COP406", "kidschat/chat.py", 68),  # send_message: no text filter anywhere
        ("COP507", "kidschat/family.py", 19),  # parent reads the child's chats, child not told
        ("COP506", "kidschat/forms.py", 11),  # newsletter box ticked in advance
        ("COP401", "kidschat/models.py", 79),  # public profiles: only photos can be reported
        ("COP501", "kidschat/models.py", 79),  # profile_public default=True
        ("COP502", "kidschat/models.py", 80),  # share_location default=True
        ("COP501", "kidschat/models.py", 81),  # show_online_status default=True
        ("COP501", "kidschat/models.py", 82),  # allow_messages_from default="everyone"
        ("COP401", "kidschat/models.py", 110),  # Message: only photos can be reported
        ("COP402", "kidschat/models.py", 110),  # Message: no way to block
        ("COP404", "kidschat/models.py", 131),  # Photo.status defaults to "published"
        ("COP504", "kidschat/preferences.py", 10),  # autoplay_videos default=True
        ("COP504", "kidschat/preferences.py", 11),  # push_notifications default=True
        ("COP504", "kidschat/preferences.py", 12),  # read_receipts default=True
        ("COP505", "kidschat/preferences.py", 13),  # personalised_feed default=True
        ("COP508", "kidschat/privacy_forms.py", 10),  # share_location switch with no explanation
        ("COP503", "kidschat/profile.py", 79),  # latitude/longitude stored without opt-in
        ("COP404", "kidschat/profile.py", 92),  # upload_photo: no scanning
        ("COP408", "kidschat/reports.py", 13),  # PhotoReport: filed, never read or resolved
        ("COP407", "kidschat/reports.py", 16),  # PhotoReport.REASONS: no child-safety reason
        ("COP405", "kidschat/reports.py", 33),  # report_photo: no helpline
    ]


def test_kidschat_safe_is_quiet():
    assert example("kidschat_safe", ("COP4", "COP5")) == []
