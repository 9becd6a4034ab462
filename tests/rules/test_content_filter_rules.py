"""COP406: messages, comments and posts published with no content filter or moderation step.

Whole little projects written to tmp_path and run like `copguard check`;
expected findings are exact (rule, path, line).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

from copguard_lint.analysis.features import vocabulary_for
from copguard_lint.config import Settings
from copguard_lint.engine import Engine


def run(tmp_path: Path, files: Dict[str, str]):
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    engine = Engine(Settings(select=("COP406",)))
    found = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    return engine.run(found)


def where(result) -> List[Tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in result.findings]


MODELS = """
    from .extensions import db

    class Conversation(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class Message(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        body = db.Column(db.Text)

    class Comment(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.Text)
"""

VIEWS = """
    from flask import Blueprint, request
    from flask_login import current_user
    from .extensions import db
    from .models import Comment, Conversation, Message

    bp = Blueprint("chat", __name__)

    @bp.route("/conversations", methods=["POST"])
    def start_conversation():
        db.session.add(Conversation())
        db.session.commit()

    @bp.route("/messages", methods=["POST"])
    def send_message():
        db.session.add(Message(sender=current_user, body=request.form["body"]))
        db.session.commit()

    @bp.route("/messages/reply", methods=["POST"])
    def reply():
        db.session.add(Message(sender=current_user, body=request.form["body"]))
        db.session.commit()

    @bp.route("/comments", methods=["POST"])
    def add_comment():
        db.session.add(Comment(author=current_user, text=request.form["text"]))
        db.session.commit()
"""


def app(**extra: str) -> Dict[str, str]:
    files = {"chat/__init__.py": "", "chat/models.py": MODELS, "chat/views.py": VIEWS}
    files.update(extra)
    return files


def test_no_filter_anywhere_one_finding_per_feature(tmp_path):
    result = run(tmp_path, app())
    # send_message for messaging (reply() is named in the message), add_comment for comments;
    # start_conversation creates a Conversation, which holds no text.
    assert where(result) == [("COP406", "chat/views.py", 15), ("COP406", "chat/views.py", 25)]
    first = result.findings[0].message
    assert first.startswith("send_message() creates a Message that other users will read")
    assert "no content filter or moderation step for messaging at all" in first
    assert "so do reply()" in first
    assert "moderation API" in first


def test_filter_in_a_helper_in_another_file_guards_the_path(tmp_path):
    files = app(**{
        "chat/filters.py": """
            from better_profanity import profanity

            def clean(text):
                if profanity.contains_profanity(text):
                    raise ValueError("held")
                return text
        """,
    })
    files["chat/views.py"] = VIEWS.replace(
        "from .models import Comment, Conversation, Message",
        "from .models import Comment, Conversation, Message\n    from .filters import clean",
    ).replace('body=request.form["body"]))\n        db.session.commit()\n\n    @bp.route("/messages/reply"',
              'body=clean(request.form["body"])))\n        db.session.commit()\n\n    @bp.route("/messages/reply"')
    result = run(tmp_path, files)
    # The project filters send_message; reply() and add_comment() bypass the filter.
    assert where(result) == [("COP406", "chat/views.py", 21), ("COP406", "chat/views.py", 26)]
    assert "although the project filters other paths" in result.findings[0].message


def test_moderation_api_and_classifier_calls_count(tmp_path):
    files = app()
    files["chat/views.py"] = VIEWS.replace(
        "    bp = Blueprint(",
        "    from .safety import check_toxicity\n    from openai import OpenAI\n    client = OpenAI()\n\n    bp = Blueprint(",
    ).replace(
        'db.session.add(Message(sender=current_user, body=request.form["body"]))\n        db.session.commit()\n\n    @bp.route("/messages/reply"',
        'if client.moderations.create(input=request.form["body"]).results[0].flagged:\n            return "held", 422\n'
        '        db.session.add(Message(sender=current_user, body=request.form["body"]))\n        db.session.commit()\n\n'
        '    @bp.route("/messages/reply"',
    ).replace(
        'db.session.add(Comment(',
        'check_toxicity(request.form["text"])\n        db.session.add(Comment(',
    )
    assert where(run(tmp_path, files)) == [("COP406", "chat/views.py", 26)]  # only reply() is left


def test_model_that_holds_new_items_for_approval(tmp_path):
    files = app()
    files["chat/models.py"] = MODELS + """
    class Post(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        content = db.Column(db.Text)
        is_approved = db.Column(db.Boolean, default=False)
    """
    files["chat/posts.py"] = """
        from flask import request
        from .extensions import db
        from .models import Post

        def create_post(request):
            db.session.add(Post(content=request.form["content"]))
    """
    # Post waits for approval; messages and comments have no filter at all.
    assert [line for _, path, line in where(run(tmp_path, files)) if path == "chat/posts.py"] == []


def test_approval_state_set_on_the_path(tmp_path):
    files = app()
    files["chat/views.py"] = VIEWS.replace(
        'db.session.add(Comment(author=current_user, text=request.form["text"]))',
        'db.session.add(Comment(author=current_user, text=request.form["text"], status="pending_approval"))',
    )
    # add_comment holds its comment; send_message and reply bypass that step.
    assert where(run(tmp_path, files)) == [("COP406", "chat/views.py", 15), ("COP406", "chat/views.py", 20)]


def test_report_after_the_fact_is_not_a_filter(tmp_path):
    files = app(**{
        "chat/reports.py": """
            from flask import request
            from .extensions import db

            class Report(db.Model):
                reporter_id = db.Column(db.Integer)
                reason = db.Column(db.String(40))

            def report_message(request):
                db.session.add(Report(reporter_id=1, reason=request.form["reason"]))
        """,
    })
    assert len(where(run(tmp_path, files))) == 2


def test_near_misses_are_not_publish_paths(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/models.py": """
            from django.db import models

            class Post(models.Model):
                title = models.CharField(max_length=100)
                body = models.TextField()

            class Order(models.Model):
                note = models.TextField()
        """,
        "shop/tasks.py": """
            from .models import Post

            def import_posts(rows):
                # a batch job, not a request handler
                for row in rows:
                    Post.objects.create(title=row["title"], body=row["body"])
        """,
        "shop/views.py": """
            from .models import Order

            def checkout(request):
                Order.objects.create(note=request.POST["note"])
        """,
        "shop/admin/views.py": """
            from ..models import Post

            def create_post(request):
                Post.objects.create(title=request.POST["title"], body=request.POST["body"])
        """,
        "shop/tests/test_posts.py": """
            from ..models import Post

            def test_create_post(request):
                Post.objects.create(title="t", body="b")
        """,
    }
    assert where(run(tmp_path, files)) == []


def test_vocabulary_reads_filters_and_held_defaults():
    v = vocabulary_for()
    assert v.is_filter_call("contains_profanity") and v.is_filter_call("check_toxicity")
    assert v.is_filter_call("censor") and not v.is_filter_call("filter_by")
    assert not v.is_filter_call("filter") and not v.is_filter_call("get_queryset")
    assert v.is_filter_hold("is_approved") and v.is_filter_hold("pending_approval")
    assert not v.is_filter_hold("approve_friend")
    assert v.holds_content("is_approved", False) and not v.holds_content("is_approved", True)
    assert v.holds_content("is_hidden", True) and v.holds_content("status", "pending")
    assert not v.holds_content("status", "published") and not v.holds_content("title", False)
    assert v.is_text_field("body") and v.is_text_field("body_html") and not v.is_text_field("created_at")


def test_kidschat_plant_and_safe_twin():
    examples = Path(__file__).resolve().parents[2] / "examples"
    engine = Engine(Settings(select=("COP406",)))
    for name, expected in (("kidschat", [("COP406", "kidschat/chat.py", 68)]), ("kidschat_safe", [])):
        files = sorted((p, p.relative_to(examples).as_posix()) for p in (examples / name).rglob("*.py"))
        assert where(engine.run(files)) == expected


def test_filter_copguard_cannot_reach_from_any_publish_path_keeps_it_quiet(tmp_path):
    """A moderation step run by a pipeline loaded from settings is out of sight, not absent."""
    files = app(**{
        "chat/pipeline/moderationqueue.py": """
            class ModerationQueueMiddleware:
                def pre_save(self, serializer):
                    self.post.is_unapproved = self.category.require_approval
        """,
    })
    assert where(run(tmp_path, files)) == []
