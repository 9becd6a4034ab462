"""The feature vocabulary (names read as features and mechanisms) and the facts FeatureAnalysis records."""

from __future__ import annotations

import textwrap
from typing import Dict, List

import pytest

from copguard_lint.analysis.features import (
    FACT_FIELD,
    FACT_FUNC,
    FACT_HELP,
    FACT_MODEL,
    FACT_SUMMARY,
    FeatureAnalysis,
    FeatureVocabulary,
    vocabulary_for,
)
from copguard_lint.config import ConfigError, Settings, settings_from_table
from copguard_lint.data_files import load_data
from copguard_lint.engine import Engine
from copguard_lint.findings import Severity
from copguard_lint.registry import known_codes
from copguard_lint.rule import ProjectRule


@pytest.fixture(scope="module")
def vocab() -> FeatureVocabulary:
    return vocabulary_for(Settings())


# -- names ------------------------------------------------------------------------------

CLASSES = {
    "Message": "messaging",
    "DirectMessage": "messaging",
    "ChatMessage": "messaging",
    "ChatRoom": "messaging",
    "Conversation": "messaging",
    "PrivateMessage": "messaging",
    "Comment": "comments",
    "Post": "posts",
    "ForumPost": "posts",
    "FriendRequest": "friends",
    "Friendship": "friends",
    "Follow": "follows",
    "Invite": "invites",
    "Invitation": "invites",
    "Photo": "media",
    "MessageAttachment": "media",
    "Report": "report",
    "AbuseReport": "report",
    "CommentReport": "report",
    "Flag": "report",
    "Block": "block",
    "UserBlock": "block",
    "BlockedUser": "block",
    "UserMute": "block",
    "MessageCreate": "messaging",  # a Pydantic schema of the same feature
}

NOT_FEATURES = [
    "EmailMessage", "SystemMessage", "MessageTemplate", "PostLike", "PostRead", "ContentBlock", "CodeBlock",
    "IPBlock", "FeatureFlag", "BugReport", "ReportCard", "Subscription", "Connection", "Topic", "UserSettings",
    "Notification", "Status", "Answer",
]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_names(vocab, name):
    assert vocab.classify_class(name) == CLASSES[name]


@pytest.mark.parametrize("name", NOT_FEATURES)
def test_class_names_that_are_not_features(vocab, name):
    assert vocab.classify_class(name) is None


HANDLERS = {
    "send_message": "messaging",
    "api_send_message": "messaging",
    "start_conversation": "messaging",
    "send_direct_message": "messaging",
    "post_comment": "comments",
    "add_comment": "comments",
    "reply": "comments",
    "create_post": "posts",
    "add_friend": "friends",
    "send_friend_request": "friends",
    "follow_user": "follows",
    "follow": "follows",
    "invite_user": "invites",
    "upload_photo": "media",
    "report": "report",
    "report_user": "report",
    "report_message": "report",
    "flag_abuse": "report",
    "flag_comment": "report",
    "submit_report": "report",
    "block_user": "block",
    "block": "block",
    "mute": "block",
    "unblock_user": "block",
    "public_profile": "profiles",
}

NOT_HANDLERS = [
    "notify_new_message", "create_message_template", "report_error", "report_progress", "generate_report",
    "block_ip", "add_message", "send_email", "send_welcome_email", "send_messages_to_queue", "flag_as_read",
    "test_send_message", "make_connection",
]


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_handler_names(vocab, name):
    assert vocab.classify_handler(name) == HANDLERS[name]


@pytest.mark.parametrize("name", NOT_HANDLERS)
def test_names_that_are_not_handlers(vocab, name):
    assert vocab.classify_handler(name) is None


def test_traits_are_matched_by_words(vocab):
    assert vocab.is_block_check("Block") and vocab.is_block_check("blocked_users") and vocab.is_block_check("is_blocking")
    assert not vocab.is_block_check("block_size") and not vocab.is_block_check("non_blocking")
    assert not vocab.is_block_check("unblockable") and not vocab.is_block_check("blockchain")
    assert vocab.is_help("CHILD_HELPLINE") and vocab.is_help("safety.help_page") and vocab.is_help("hotline_url")
    assert not vocab.is_help("help_text") and not vocab.is_help("helper")
    assert vocab.is_scan_call("scan_image_for_csam") and vocab.is_scan_call("photodna_match")
    assert vocab.is_scan_call("quarantine_path") and vocab.is_scan_call("moderate_upload")
    assert not vocab.is_scan_call("scan_for_viruses") and not vocab.is_scan_call("scandir")
    assert vocab.is_hold("pending_review") and not vocab.is_hold("published")


def test_configured_names_extend_the_vocabulary():
    table = {"scan-hooks": ["check_with_vendor"], "block-checks": ["is_shunned"], "help-resources": ["kids_line"]}
    settings = settings_from_table({"safety": table}, "pyproject.toml", known_codes())
    vocab = vocabulary_for(settings)
    assert vocab.is_scan_call("check_with_vendor") and vocab.is_block_check("is_shunned") and vocab.is_help("kids_line")
    assert not vocabulary_for(Settings()).is_scan_call("check_with_vendor")
    assert settings.to_json()["safety"] == table


@pytest.mark.parametrize("table, message", [
    ({"scan-hook": ["x"]}, "unknown key 'scan-hook'"),
    ({"scan-hooks": "x"}, "must be a list"),
    (["x"], "must be a table"),
])
def test_safety_config_is_validated(table, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_table({"safety": table}, "pyproject.toml", known_codes())


def test_settings_vocabulary(vocab):
    assert vocab.setting("profile_public", False).rule == "COP501"
    assert vocab.setting("public_profile", False).id == "profile-public"
    assert vocab.setting("DEFAULT_PROFILE_VISIBILITY", False).id == "profile-public"
    assert vocab.setting("share_location", False).rule == "COP502"
    assert vocab.setting("is_public", False) is None
    assert vocab.setting("is_public", True).id == "profile-public-generic"
    for harmless in ("dark_mode", "email_notifications", "is_active", "theme", "notifications_enabled"):
        assert vocab.setting(harmless, True) is None


def test_engagement_and_recommendation_settings(vocab):
    assert vocab.setting("autoplay_next_video", False).rule == "COP504"
    assert vocab.setting("push_notifications_enabled", False).id == "push-notifications"
    assert vocab.setting("showReadReceipts", False).id == "read-receipts"
    assert vocab.setting("quiet_hours", False).id == "quiet-hours"
    assert vocab.setting("personalized_feed", False).rule == "COP505"
    assert vocab.setting("personalised_recommendations", False).rule == "COP505"
    assert vocab.setting("camera_enabled", False).id == "capture-on"
    # generic words count only on a person's settings
    assert vocab.setting("autoplay", False) is None and vocab.setting("autoplay", True).id == "autoplay-generic"
    assert vocab.setting("push", False) is None
    # a counter, a reminder that protects, and plain notifications are not engagement settings
    for harmless in ("current_streak", "break_reminders", "notifications", "reply_notifications", "sound"):
        assert vocab.setting(harmless, True) is None, harmless


def test_vocabulary_file_is_consistent():
    data = load_data("features.toml")
    kinds = [entry["kind"] for entry in data["feature"]]
    assert len(kinds) == len(set(kinds))
    assert all(set(entry["needs"]) <= {"report", "block"} for entry in data["feature"])
    assert {spec["rule"] for spec in data["setting"]} == {"COP501", "COP502", "COP504", "COP505"}
    ids = [spec["id"] for spec in data["setting"]]
    assert len(ids) == len(set(ids))
    vocab = FeatureVocabulary(data)  # loads without a KeyError
    generic = set().union(*(spec.names for spec in vocab.settings if spec.scope == "person"))
    for spec in vocab.settings:
        if spec.scope == "any":
            # a specific name must not reduce (without filler words) to a generic one
            assert not spec.names & generic, (spec.id, spec.names & generic)


# -- facts --------------------------------------------------------------------------------


class _Collect(ProjectRule):
    code = "COP998"
    name = "collect"
    summary = "test rule collecting feature facts"
    severity = Severity.LOW
    requires = (FeatureAnalysis,)

    def check(self, project):
        return ()


def facts_of(source: str, path: str = "app/views.py") -> Dict[str, List[dict]]:
    engine = Engine(Settings(), rules=[_Collect])
    result = engine.lint_source(path, textwrap.dedent(source))
    assert result.error is None, result.error
    out: Dict[str, List[dict]] = {}
    for fact in result.facts:
        data = dict(fact.data)
        data["line"] = fact.line
        out.setdefault(fact.kind, []).append(data)
    return out


def test_models_and_fields_are_recorded():
    facts = facts_of("""
        from django.db import models

        class Message(models.Model):
            body = models.TextField()

        class Report(models.Model):
            reporter = models.ForeignKey("User", on_delete=models.CASCADE)
            reason = models.CharField(max_length=40)

        class SalesReport(models.Model):
            total = models.IntegerField()

        class User(models.Model):
            blocked_users = models.ManyToManyField("self", symmetrical=False)
            is_blocked = models.BooleanField(default=False)
            profile_public = models.BooleanField(default=False)

        class Photo(models.Model):
            image = models.ImageField()
            status = models.CharField(max_length=10, default="published")
    """, "app/models.py")
    models = {m["name"]: m["category"] for m in facts[FACT_MODEL]}
    assert models == {"Message": "messaging", "Report": "report", "Photo": "media"}
    fields = {(f["model"], f["name"]): f["role"] for f in facts[FACT_FIELD]}
    assert fields == {
        ("User", "blocked_users"): "block-relation",
        ("User", "profile_public"): "profile",
        ("Photo", "status"): "media-default",
    }


def test_a_bare_report_model_needs_report_fields():
    facts = facts_of("""
        from sqlalchemy.orm import DeclarativeBase
        class Base(DeclarativeBase):
            pass
        class Report(Base):
            title = Column(String)
            rows = Column(Integer)
    """)
    assert FACT_MODEL not in facts


def test_handlers_traits_and_calls():
    facts = facts_of("""
        from flask import request
        from .models import Block, Message
        from . import moderation

        @bp.route("/send", methods=["POST"])
        def send_message():
            if Block.exists_between(current_user, recipient):
                abort(403)
            db.session.add(Message(body=request.form["body"]))

        @bp.route("/photo", methods=["POST"])
        def upload_photo():
            upload = request.files["photo"]
            upload.save(moderation.quarantine_path(upload.filename))

        @bp.route("/import", methods=["POST"])
        def import_roster():
            data = request.files["roster_csv"]
            data.save("exports/roster.csv")

        def helper():
            return moderation.screen(photo)
    """, "app/views.py")
    funcs = {f["name"]: f for f in facts[FACT_FUNC]}
    assert set(funcs) == {"send_message", "upload_photo"}
    assert funcs["send_message"]["traits"] == ("block",)
    assert funcs["send_message"]["creates"] == ("Message",)
    assert funcs["send_message"]["handler"] is True
    assert funcs["upload_photo"]["upload"] == "request.files"
    assert funcs["upload_photo"]["traits"] == ("scan",)
    assert ".moderation.quarantine_path" in funcs["upload_photo"]["calls"]
    summaries = {f["name"]: f for f in facts[FACT_SUMMARY]}
    assert summaries["helper"]["calls"] == (".moderation.screen",)
    assert all(f["line"] == 1 for f in facts[FACT_SUMMARY])  # not located: no position cost


def test_email_and_admin_handlers_are_not_features():
    facts = facts_of("""
        def send_message(request, user):
            Message.objects.create(to=user)
    """, "app/mail.py")
    assert FACT_FUNC not in facts
    facts = facts_of("""
        def upload_logo(request):
            request.FILES["logo"].save()
    """, "app/admin/views.py")
    assert FACT_FUNC not in facts


def test_view_classes_fold_their_methods():
    facts = facts_of("""
        from rest_framework.parsers import MultiPartParser
        from rest_framework.viewsets import ViewSet

        class ReportViewSet(ViewSet):
            def create(self, request):
                return Response(status=201)

        class AvatarView(APIView):
            parser_classes = [MultiPartParser]
            def post(self, request):
                request.user.avatar.save("a.png", request.data["file"])
    """)
    funcs = {f["name"]: f for f in facts[FACT_FUNC]}
    assert funcs["ReportViewSet"]["named"] == "report" and funcs["ReportViewSet"]["view"] is True
    assert funcs["AvatarView"]["upload"] == "a multipart parser"


def test_help_settings_and_globals():
    facts = facts_of("""
        CHILD_HELPLINE = {"name": "Child Helpline", "phone": "1280"}
        TEMPLATES = [{"OPTIONS": {"context_processors": ["app.context.child_helpline"]}}]

        def create_app():
            app = Flask(__name__)
            @app.context_processor
            def inject():
                return {"helpline": app.config["CHILD_HELPLINE"]}
            return app
    """, "app/settings.py")
    roles = sorted((f["role"], f["name"]) for f in facts[FACT_HELP])
    assert roles == [
        ("global", "app.context.child_helpline"), ("global", "create_app.inject"), ("setting", "CHILD_HELPLINE"),
    ]


def test_fastapi_upload_parameter_and_storage_upload():
    facts = facts_of("""
        import boto3
        from fastapi import UploadFile
        s3 = boto3.client("s3")

        @router.post("/avatar")
        async def set_avatar(file: UploadFile):
            s3.upload_fileobj(file.file, "bucket", file.filename)

        @router.post("/selfie")
        def store_selfie(request):
            s3.put_object(Bucket="b", Key="k", Body=request.body)
    """)
    funcs = {f["name"]: f["upload"] for f in facts[FACT_FUNC]}
    assert funcs == {"set_avatar": "the uploaded file parameter `file`", "store_selfie": "a storage upload (put_object)"}


# -- COP408: what reads, resolves and presents reports -------------------------------------


def test_report_reads_decisions_and_admin_registrations():
    from copguard_lint.analysis.features import FACT_REPORT_USE

    facts = facts_of("""
        from django.contrib import admin
        from .models import Report

        admin.site.register(Report)

        def report_post(request, post_id):
            if not Report.objects.filter(post_id=post_id).exists():
                Report.objects.create(post_id=post_id, reporter=request.user)

        def open_reports():
            return Report.objects.filter(status="open")

        def close(report):
            report.status = "closed"

        def resolve_report(report_id):
            pass

        class ReportForm(forms.ModelForm):
            class Meta:
                model = Report

        class Queue(ListView):
            model = Report
    """, "app/moderation.py")
    uses = sorted((f["how"], f["model"], f["line"]) for f in facts[FACT_REPORT_USE])
    assert uses == [("admin", "Report", 5), ("class", "Report", 25)]
    functions = {f["name"]: f for kind in (FACT_FUNC, FACT_SUMMARY) for f in facts.get(kind, ())}
    # report_post reads Report (a duplicate check) but is named for filing one: no read recorded.
    assert "report_reads" not in functions["report_post"]
    assert functions["report_post"]["creates"] == ("Report",)
    assert functions["open_reports"]["report_reads"] == ("Report",)
    assert functions["close"]["report_decides"] is True
    assert functions["resolve_report"]["report_handler"] is True


def test_report_relations_are_recorded():
    facts = facts_of("""
        from django.db import models

        class Post(models.Model):
            body = models.TextField()

        class Report(models.Model):
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="reports_filed")
            post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
            reason = models.TextField()

        class Thread(models.Model):
            flags = models.ManyToManyField("ThreadFlag")
    """, "app/models.py")
    relations = sorted((f["model"], f["name"]) for f in facts[FACT_FIELD] if f["role"] == "report-relation")
    assert relations == [("Report", "reports"), ("Report", "reports_filed"), ("ThreadFlag", "flags")]


def test_report_handler_names(vocab):
    assert vocab.handles_reports("resolve_report")
    assert vocab.handles_reports("ReportQueueView.get")
    assert vocab.handles_reports("DeleteReport.post")  # `post` is the HTTP method, not filing
    assert not vocab.handles_reports("report_post")
    assert not vocab.handles_reports("create_report")
    assert not vocab.handles_reports("ReportForm.clean")
    assert not vocab.handles_reports("resolve_ticket")
