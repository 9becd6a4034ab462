"""COP407 (report reasons with none for a child's safety) and COP408 (reports never handled).

COP407 is a per-file rule: each case is one file, and the flake8 plugin runs it
too. COP408 is a project rule: each case is a small multi-file app run like
`copguard check`. Expected findings are exact: (rule, path, line).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import libcst as cst
import pytest

from copguard_lint.analysis.report_reasons import find_reason_lists, reason_vocabulary
from copguard_lint.config import Settings
from copguard_lint.engine import Engine


def run(tmp_path: Path, files: Dict[str, str], select: Sequence[str] = ("COP407", "COP408")):
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    engine = Engine(Settings(select=tuple(select)))
    found = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    return engine.run(found)


def where(result) -> List[Tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in result.findings]


def reasons(tmp_path: Path, source: str) -> List[Tuple[str, str, int]]:
    return where(run(tmp_path, {"app/models.py": source}, ("COP407",)))


# -- COP407: what is a list of report reasons ----------------------------------------------


def test_django_choices_constant_on_a_report_model(tmp_path):
    result = run(tmp_path, {"app/models.py": """
        from django.db import models

        REASON_CHOICES = ((0, "Spam"), (1, "Harassment"), (2, "Other"))

        class CommentFlag(models.Model):
            comment = models.ForeignKey("Comment", on_delete=models.CASCADE)
            reason = models.IntegerField(choices=REASON_CHOICES)
    """}, ("COP407",))
    assert where(result) == [("COP407", "app/models.py", 4)]
    message = result.findings[0].message
    assert message.startswith("REASON_CHOICES (used by CommentFlag) lists the reasons a user can give when "
                              "reporting (Spam, Harassment, Other)")
    assert "grooming" in message and "child_safety" in message


def test_text_choices_named_for_report_reasons(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models
        from django.utils.translation import gettext_lazy as _

        class ReportReason(models.TextChoices):
            SPAM = "spam", _("Spam")
            HATE = "hate", _("Hate speech")
            OTHER = "other", _("Something else")
    """) == [("COP407", "app/models.py", 5)]


def test_enum_referenced_by_a_report_field_in_another_class(tmp_path):
    assert reasons(tmp_path, """
        import enum
        from django.db import models

        class Reason(models.TextChoices):
            SPAM = "spam"
            ABUSE = "abuse"

        class AbuseReport(models.Model):
            reason = models.CharField(max_length=10, choices=Reason.choices)
    """) == [("COP407", "app/models.py", 5)]


def test_sqlalchemy_enum_column_on_a_report(tmp_path):
    assert reasons(tmp_path, """
        from sqlalchemy import Column, Enum, Integer
        from .db import Base

        class Report(Base):
            __tablename__ = "reports"
            id = Column(Integer, primary_key=True)
            category = Column(Enum("spam", "harassment", "impersonation", name="report_category"))
    """) == [("COP407", "app/models.py", 8)]


def test_pydantic_literal_on_a_report_schema(tmp_path):
    assert reasons(tmp_path, """
        from typing import Literal
        from pydantic import BaseModel

        class ReportIn(BaseModel):
            target_id: int
            reason: Literal["spam", "bullying", "other"]
    """) == [("COP407", "app/models.py", 7)]


def test_nested_choices_class_in_a_report_model(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        class Complaint(models.Model):
            class Category(models.IntegerChoices):
                OFFENSIVE = 1
                SPAM = 2
            category = models.IntegerField(choices=Category.choices)
            complainant = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """) == [("COP407", "app/models.py", 5)]


def test_module_constant_named_for_flags(tmp_path):
    assert reasons(tmp_path, """
        FLAG_REASONS = [
            (1, "Spam | Exists only to promote a service"),
            (2, "Abusive | Intended at promoting hatred"),
        ]
    """) == [("COP407", "app/models.py", 2)]


def test_form_choice_field(tmp_path):
    assert reasons(tmp_path, """
        from django import forms

        class ReportUserForm(forms.Form):
            reason = forms.ChoiceField(choices=[("spam", "Spam"), ("rude", "Rude or mean"), ("other", "Other")])
    """) == [("COP407", "app/models.py", 5)]


def test_grouped_django_choices(tmp_path):
    assert reasons(tmp_path, """
        REPORT_CATEGORIES = [
            ("Content", [("spam", "Spam"), ("nudity", "Nudity")]),
            ("People", [("impersonation", "Pretending to be someone")]),
        ]
    """) == [("COP407", "app/models.py", 2)]


# -- COP407: near misses -------------------------------------------------------------------


@pytest.mark.parametrize("entries", [
    '("spam", "Spam"), ("grooming", "Grooming"), ("other", "Other")',
    '("spam", "Spam"), ("csam", "Child sexual abuse material")',
    '("spam", "Spam"), ("underage", "User is underage")',
    '("harassment", "Harassment"), ("minor_at_risk", "A minor is at risk")',
    '("bullying", "Bullying"), ("asked_for_photos", "Asked me for photos"), ("asked_to_meet", "Asked to meet")',
    '("spam", "Spam"), ("child_safety", "Child safety")',
    '("hate", "Hate"), ("sexual_exploitation", "Sexual exploitation")',
])
def test_a_list_with_a_child_safety_reason_is_fine(tmp_path, entries):
    assert reasons(tmp_path, f"""
        from django.db import models

        class Report(models.Model):
            REASONS = ({entries})
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.CharField(max_length=20, choices=REASONS)
    """) == []


def test_analytics_report_types_are_not_reasons(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        class Report(models.Model):
            REPORT_TYPES = (("daily", "Daily"), ("weekly", "Weekly"), ("csv", "CSV export"))
            report_type = models.CharField(max_length=10, choices=REPORT_TYPES)
            owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """) == []


def test_bug_report_categories_are_not_abuse_reasons(tmp_path):
    assert reasons(tmp_path, """
        class BugReportCategory:
            pass

        BUG_REPORT_CATEGORIES = ["ui", "crash", "performance", "other"]
    """) == []


def test_other_only_and_free_text_only(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        class Report(models.Model):
            REASONS = (("other", "Other"),)
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.TextField()
    """) == []


def test_report_status_choices_are_not_reasons(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        class Report(models.Model):
            STATUS_CHOICES = (("open", "Open"), ("spam", "Marked as spam"), ("closed", "Closed"))
            status = models.CharField(max_length=10, choices=STATUS_CHOICES)
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """) == []


def test_reason_lists_outside_reports_are_not_report_reasons(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        CLOSE_REASONS = ((1, "duplicate question"), (7, "offensive or malicious remarks"), (8, "spam"))

        class Question(models.Model):
            close_reason = models.IntegerField(choices=CLOSE_REASONS)
    """) == []


def test_feature_flag_choices_are_not_report_reasons(tmp_path):
    assert reasons(tmp_path, """
        FLAG_CHOICES = [("on", "On"), ("off", "Off"), ("beta", "Beta users only")]
    """) == []


def test_choices_loaded_from_settings_are_not_followed(tmp_path):
    assert reasons(tmp_path, """
        from django.conf import settings
        from django.db import models

        class Flag(models.Model):
            flagger = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.IntegerField(choices=settings.FLAG_REASONS)
    """) == []


def test_reason_lists_in_tests_are_ignored(tmp_path):
    result = run(tmp_path, {"app/tests/test_reports.py": """
        REPORT_REASONS = [("spam", "Spam"), ("abuse", "Abuse")]
    """}, ("COP407",))
    assert where(result) == []


def test_one_list_reported_once_when_named_and_used(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        REPORT_REASONS = (("spam", "Spam"), ("hate", "Hate"))

        class Report(models.Model):
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.CharField(max_length=10, choices=REPORT_REASONS)
            category = models.CharField(max_length=10, choices=REPORT_REASONS)
    """) == [("COP407", "app/models.py", 4)]


def test_reason_list_reader_entries():
    module = cst.parse_module(textwrap.dedent("""
        from django.db import models
        from django.utils.translation import gettext_lazy as _

        class Report(models.Model):
            class Reason(models.TextChoices):
                SPAM = "spam", _("Spam or scams")
                GROOMING = "grooming", _("Someone is grooming a child")
            reason = models.CharField(max_length=10, choices=Reason.choices)
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """))
    (found,) = find_reason_lists(module)
    assert found.name == "Reason"
    assert found.shown == ["SPAM", "GROOMING"]
    assert found.entries[1] == ("grooming", "grooming", "someone", "is", "grooming", "a", "child")
    assert not found.missing_child_safety(reason_vocabulary())


def test_cop407_runs_in_flake8_as_a_per_file_rule():
    from copguard_lint.rules.safety import ReportReasonsMissChildSafety
    from copguard_lint.rule import Rule

    assert issubclass(ReportReasonsMissChildSafety, Rule)


# -- COP408: reports that nobody acts on ----------------------------------------------------

MODELS = """
    from django.conf import settings
    from django.db import models

    class Post(models.Model):
        author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        body = models.TextField()

    class Report(models.Model):
        reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
        post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
        reason = models.TextField()
        status = models.CharField(max_length=10, default="open")
"""

FILING = """
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import get_object_or_404, redirect

    from .models import Post, Report

    @login_required
    def report_post(request, post_id):
        post = get_object_or_404(Post, id=post_id)
        if not Report.objects.filter(reporter=request.user, post=post).exists():
            Report.objects.create(reporter=request.user, post=post, reason=request.POST["reason"])
        return redirect("post", post_id)
"""


def test_reports_filed_and_never_read(tmp_path):
    result = run(tmp_path, {"forum/models.py": MODELS, "forum/views.py": FILING}, ("COP408",))
    assert where(result) == [("COP408", "forum/models.py", 9)]
    message = result.findings[0].message
    assert message.startswith("Report in forum/models.py stores users' reports, but no code reads them back")
    assert "admin" in message


def test_admin_registration_counts_as_handling(tmp_path):
    for admin in (
        "from django.contrib import admin\nfrom .models import Report\nadmin.site.register(Report)\n",
        "from django.contrib import admin\nfrom .models import Report\n\n@admin.register(Report)\n"
        "class ReportAdmin(admin.ModelAdmin):\n    list_display = ('reporter', 'status')\n",
    ):
        (tmp_path / "forum" / "admin.py").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "forum" / "admin.py").write_text(admin, encoding="utf-8")
        assert where(run(tmp_path, {"forum/models.py": MODELS, "forum/views.py": FILING}, ("COP408",))) == []


def test_flask_admin_model_view_counts(tmp_path):
    assert where(run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/backoffice.py": """
            from flask_admin.contrib.sqla import ModelView
            from .models import Report

            def setup(admin, db):
                pass

            views = [ModelView(Report, None)]
        """,
    }, ("COP408",))) == []


def test_a_staff_view_querying_reports_counts(tmp_path):
    assert where(run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/moderation.py": """
            from django.contrib.admin.views.decorators import staff_member_required
            from django.shortcuts import render

            from .models import Report

            @staff_member_required
            def open_items(request):
                items = Report.objects.filter(status="open").select_related("post")
                return render(request, "moderation/queue.html", {"items": items})
        """,
    }, ("COP408",))) == []


def test_a_list_view_class_on_the_model_counts(tmp_path):
    assert where(run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/staff.py": """
            from django.views.generic import ListView
            from .models import Report

            class ModerationQueue(ListView):
                model = Report
                template_name = "staff/queue.html"
        """,
    }, ("COP408",))) == []


def test_a_decision_recorded_on_a_report_counts(tmp_path):
    assert where(run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/tasks.py": """
            def close(report, moderator):
                report.status = "resolved"
                report.save()
        """,
    }, ("COP408",))) == []


def test_near_miss_reads_on_the_filing_path_do_not_count(tmp_path):
    # The duplicate check in report_post reads Report, and a serializer names it: both file reports.
    result = run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/serializers.py": """
            from rest_framework import serializers
            from .models import Report

            class ReportSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Report
                    fields = ["post", "reason"]

                def validate(self, data):
                    if Report.objects.filter(post=data["post"]).count() > 100:
                        raise serializers.ValidationError("enough")
                    return data
        """,
        "forum/forms.py": """
            from django import forms
            from .models import Report

            class ReportForm(forms.ModelForm):
                class Meta:
                    model = Report
                    fields = ["reason"]
        """,
    }, ("COP408",))
    assert where(result) == [("COP408", "forum/models.py", 9)]


def test_near_miss_handling_in_tests_does_not_count(tmp_path):
    result = run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/tests/test_reports.py": """
            from forum.models import Report

            def test_report_is_filed():
                assert Report.objects.count() == 1
        """,
    }, ("COP408",))
    assert where(result) == [("COP408", "forum/models.py", 9)]


def test_analytics_report_model_is_not_a_user_report(tmp_path):
    assert where(run(tmp_path, {"school/models.py": """
        from django.db import models

        class Report(models.Model):
            title = models.CharField(max_length=100)
            generated_at = models.DateTimeField(auto_now_add=True)
    """}, ("COP408",))) == []


def test_request_schemas_and_abstract_bases_are_not_stored_reports(tmp_path):
    assert where(run(tmp_path, {"api/schemas.py": """
        from django.db import models
        from pydantic import BaseModel

        class ReportIn(BaseModel):
            reason: str
            reported_user_id: int

        class AbstractReport(models.Model):
            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.TextField()

            class Meta:
                abstract = True
    """}, ("COP408",))) == []


def test_sqlalchemy_report_read_by_a_management_view(tmp_path):
    files = {
        "forum/models.py": """
            from .extensions import db

            class Report(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                reporter_id = db.Column(db.Integer)
                reason = db.Column(db.Text)
        """,
        "forum/views.py": """
            from flask import request
            from .extensions import db
            from .models import Report

            def report_post(post_id):
                db.session.add(Report(reporter_id=1, reason=request.form["reason"]))
                db.session.commit()
        """,
    }
    assert where(run(tmp_path, files, ("COP408",))) == [("COP408", "forum/models.py", 4)]
    files["forum/management.py"] = """
        from .models import Report

        def unread():
            return Report.query.filter(Report.zapped == None).all()
    """
    assert where(run(tmp_path, files, ("COP408",))) == []


def test_report_rows_reached_through_a_relation_count(tmp_path):
    # An automatic action after enough reports: the related name is read outside the filing path.
    assert where(run(tmp_path, {
        "forum/models.py": MODELS,
        "forum/views.py": FILING,
        "forum/tasks.py": """
            def hide_heavily_reported(post):
                if post.reports.count() >= 3:
                    post.hidden = True
                    post.save()
        """,
    }, ("COP408",))) == []


def test_relation_on_another_model_and_default_set_name(tmp_path):
    files = {
        "forum/models.py": """
            from .extensions import db

            class Post(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                flags = db.relationship("PostFlag", back_populates="post")

            class PostFlag(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                flagger_id = db.Column(db.Integer)
                post_id = db.Column(db.Integer, db.ForeignKey("post.id"))
        """,
        "forum/views.py": """
            from .extensions import db
            from .models import PostFlag

            def flag_post(post_id, user_id):
                db.session.add(PostFlag(post_id=post_id, flagger_id=user_id))
                db.session.commit()
        """,
    }
    assert where(run(tmp_path, files, ("COP408",))) == [("COP408", "forum/models.py", 8)]
    files["forum/staff.py"] = """
        def flagged_posts(posts):
            return [post for post in posts if post.flags]
    """
    assert where(run(tmp_path, files, ("COP408",))) == []


def test_dict_of_reasons_with_untranslated_labels(tmp_path):
    # Keys are what the code matches when labels are in another language.
    assert reasons(tmp_path, """
        REPORT_REASONS = {
            "r18": "性的な画像",
            "harassment": "誹謗中傷",
            "spam": "スパム",
            "other": "その他",
        }
    """) == [("COP407", "app/models.py", 2)]


def test_enum_member_name_can_carry_the_child_safety_reason(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models
        from django.utils.translation import gettext_lazy as _

        class MessageReport(models.Model):
            class ReportReason(models.TextChoices):
                SPAM = "SP", _("Pourriel")
                HARASSMENT = "HA", _("Harcèlement")
                CHILD_SAFETY = "CS", _("Sécurité d'un enfant")

            reporter = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            reason = models.CharField(max_length=2, choices=ReportReason.choices)
    """) == []


def test_marketplace_reasons_without_any_harm_are_not_abuse_reasons(tmp_path):
    assert reasons(tmp_path, """
        from django.db import models

        class ReportReason(models.TextChoices):
            PRICE_INCORRECT = "price_incorrect", "Price incorrect"
            DUPLICATE_LISTING = "duplicate_listing", "Duplicate listing"
            OTHER = "other", "Other"
    """) == []


def test_optional_literal_and_odd_annotations(tmp_path):
    assert reasons(tmp_path, """
        from typing import Literal, Optional
        from pydantic import BaseModel

        class FlagCreate(BaseModel):
            reason: Optional[Literal["spam", "hate", "other"]] = None
            category: Optional[1:2] = None
    """) == [("COP407", "app/models.py", 6)]
