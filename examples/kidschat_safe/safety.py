"""Report, block, help, and the moderators' review queues."""
import logging
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .models import Block, Message, Photo, Report, User
from .moderation import publish
from .tasks import notify_moderators
from .utils import audit

bp = Blueprint("safety", __name__, url_prefix="/safety")
logger = logging.getLogger(__name__)

URGENT_REASONS = {"asked_for_photos", "asked_to_meet", "adult_content"}


def moderator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_moderator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def block_user(blocker, blocked):
    """Block both ways for messaging, and end the friendship if there was one."""
    if blocker.id == blocked.id:
        return
    if db.session.get(Block, (blocker.id, blocked.id)) is None:
        db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    for user, other in ((blocker, blocked), (blocked, blocker)):
        if user.friends.filter_by(id=other.id).first() is not None:
            user.friends.remove(other)


@bp.route("/help")
def help_page():
    return render_template("safety/help.html", helpline=current_app.config["CHILD_HELPLINE"])


@bp.route("/report", methods=["GET", "POST"])
@login_required
def report():
    helpline = current_app.config["CHILD_HELPLINE"]
    if request.method == "GET":
        return render_template(
            "safety/report.html",
            reasons=Report.REASONS,
            helpline=helpline,
            username=request.args.get("username", ""),
            message_id=request.args.get("message_id", type=int),
            photo_id=request.args.get("photo_id", type=int),
        )

    reported = User.query.filter_by(username=request.form.get("username", "")).first_or_404()
    reason = request.form.get("reason", "other")
    if reason not in Report.REASONS:
        reason = "other"

    message = None
    message_id = request.form.get("message_id", type=int)
    if message_id is not None:
        message = db.get_or_404(Message, message_id)
        if current_user not in message.conversation.members or message.sender_id != reported.id:
            abort(400)
        message.hidden = True

    photo_id = request.form.get("photo_id", type=int)
    if photo_id is not None and db.get_or_404(Photo, photo_id).owner_id != reported.id:
        abort(400)

    filed = Report(
        reporter_id=current_user.id,
        reported_user_id=reported.id,
        message_id=message.id if message else None,
        photo_id=photo_id,
        reason=reason,
        details=request.form.get("details", "")[:2000],
    )
    db.session.add(filed)
    if request.form.get("also_block") == "on":
        block_user(current_user, reported)
    db.session.commit()

    audit("report_filed", report_id=filed.id, reason=reason, urgent=reason in URGENT_REASONS)
    notify_moderators.delay(filed.id, urgent=reason in URGENT_REASONS)
    return render_template("safety/report_sent.html", helpline=helpline, urgent=reason in URGENT_REASONS)


@bp.route("/block/<username>", methods=["POST"])
@login_required
def block(username):
    blocked = User.query.filter_by(username=username).first_or_404()
    block_user(current_user, blocked)
    db.session.commit()
    audit("user_blocked", blocker_id=current_user.id, blocked_id=blocked.id)
    flash(f"You won't get messages from {blocked.username} any more.")
    return redirect(request.referrer or url_for("chat.inbox"))


@bp.route("/unblock/<username>", methods=["POST"])
@login_required
def unblock(username):
    blocked = User.query.filter_by(username=username).first_or_404()
    Block.query.filter_by(blocker_id=current_user.id, blocked_id=blocked.id).delete()
    db.session.commit()
    return redirect(url_for("profile.edit"))


@bp.route("/review/photos")
@moderator_required
def photo_queue():
    photos = Photo.query.filter_by(status="pending_review").order_by(Photo.uploaded_at).limit(50).all()
    return render_template("safety/photo_queue.html", photos=photos)


@bp.route("/review/photos/<int:photo_id>", methods=["POST"])
@moderator_required
def review_photo(photo_id):
    photo = db.get_or_404(Photo, photo_id)
    if request.form.get("decision") == "approve":
        publish(photo, current_user)
    else:
        photo.status = "rejected"
        photo.reviewed_by_id = current_user.id
    db.session.commit()
    logger.info("photo_id=%s reviewed by moderator_id=%s: %s", photo.id, current_user.id, photo.status)
    return redirect(url_for("safety.photo_queue"))


@bp.route("/review/reports")
@moderator_required
def report_queue():
    reports = Report.query.filter_by(status="open").order_by(Report.created_at).limit(50).all()
    return render_template("safety/report_queue.html", reports=reports, urgent_reasons=URGENT_REASONS)
