"""Direct messages between friends, plus "friends near you"."""
import logging
from datetime import datetime, timedelta

import sentry_sdk
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .config import CONSENT_AGE
from .consent import consent_required
from .extensions import db
from .models import Block, Conversation, Message, User, UserSettings
from .moderation import screen_text
from .tasks import notify_new_message
from .tracking import track_event
from .utils import audit, calculate_age, distance_km

bp = Blueprint("chat", __name__, url_prefix="/chat")
logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 2000


@bp.route("/")
@login_required
def inbox():
    conversations = (
        Conversation.query.filter(Conversation.members.any(id=current_user.id))
        .order_by(Conversation.updated_at.desc())
        .all()
    )
    logger.debug("inbox loaded %d conversations", len(conversations))
    return render_template("chat/inbox.html", conversations=conversations)


@bp.route("/<int:conversation_id>")
@login_required
def show(conversation_id):
    convo = db.get_or_404(Conversation, conversation_id)
    if current_user not in convo.members:
        abort(403)
    messages = convo.messages.filter_by(hidden=False).all()
    for message in messages:
        if message.sender_id != current_user.id and message.read_at is None:
            message.read_at = datetime.utcnow()
    db.session.commit()
    # The template puts "Report" and "Block" next to every message from someone else.
    return render_template("chat/conversation.html", conversation=convo, messages=messages)


@bp.route("/friends", methods=["POST"])
@login_required
@consent_required
def add_friend():
    """Students swap friend codes in class; there is no search for strangers."""
    code = request.form.get("friend_code", "").strip().upper()
    friend = User.query.filter_by(friend_code=code).first()
    if friend is None or friend == current_user or Block.exists_between(current_user, friend):
        flash("We couldn't find that friend code.")
        return redirect(url_for("chat.inbox"))
    if current_user.friends.filter_by(id=friend.id).first() is None:
        current_user.friends.append(friend)
        friend.friends.append(current_user)
        db.session.commit()
    audit("friend_added", user_id=current_user.id, friend_id=friend.id)
    return redirect(url_for("chat.inbox"))


@bp.route("/new", methods=["POST"])
@login_required
def start_conversation():
    age = calculate_age(current_user.birth_date)
    if age < CONSENT_AGE and not current_user.has_parental_consent:
        flash("Ask a parent to switch on chat for your account.")
        return redirect(url_for("chat.inbox"))

    recipient = User.query.filter_by(username=request.form["username"].strip()).first_or_404()
    if recipient == current_user:
        abort(400)
    if Block.exists_between(current_user, recipient) or not recipient.accepts_messages_from(current_user):
        flash("You can only chat with friends who added you.")
        return redirect(url_for("chat.inbox"))
    convo = Conversation.between(current_user, recipient)
    if convo is None:
        convo = Conversation(members=[current_user, recipient])
        db.session.add(convo)
        db.session.commit()
    return redirect(url_for("chat.show", conversation_id=convo.id))


@bp.route("/<int:conversation_id>/messages", methods=["POST"])
@login_required
def send_message(conversation_id):
    convo = db.get_or_404(Conversation, conversation_id)
    if current_user not in convo.members:
        abort(403)

    body = request.form.get("body", "").strip()
    if not body:
        return jsonify(error="empty message"), 400

    recipients = [member for member in convo.members if member != current_user]
    for recipient in recipients:
        if Block.exists_between(current_user, recipient):
            return jsonify(error="blocked"), 403
        if not recipient.accepts_messages_from(current_user):
            return jsonify(error="not accepting messages"), 403

    check = screen_text(body)
    if check.flagged:
        logger.info("message held by the text filter: %s", ",".join(check.reasons))
        return jsonify(error="This message can't be sent. If someone is making you uncomfortable, report them."), 422

    message = Message(conversation=convo, sender=current_user, body=body[:MAX_MESSAGE_LENGTH])
    convo.updated_at = datetime.utcnow()
    db.session.add(message)
    db.session.commit()

    sentry_sdk.add_breadcrumb(
        category="chat",
        message="message sent",
        data={"conversation_id": convo.id, "recipients": len(recipients)},
        level="info",
    )
    track_event(current_user, "Message Sent", conversation_id=convo.id, length=len(body))
    for recipient in recipients:
        notify_new_message.delay(recipient.id, message.id)
    return jsonify(id=message.id, sent_at=message.created_at.isoformat()), 201


@bp.route("/nearby")
@login_required
@consent_required
def nearby():
    """Friends close by who opted in to sharing their area."""
    if not current_user.settings.share_location or current_user.latitude is None:
        return jsonify(buddies=[])
    radius = current_app.config["NEARBY_RADIUS_KM"]
    candidates = (
        current_user.friends.join(UserSettings, UserSettings.user_id == User.id)
        .filter(UserSettings.share_location.is_(True), User.latitude.isnot(None))
        .all()
    )
    online_since = datetime.utcnow() - timedelta(minutes=5)
    buddies = []
    for user in candidates:
        km = distance_km(current_user.latitude, current_user.longitude, user.latitude, user.longitude)
        if km <= radius:
            buddies.append({
                "username": user.username,
                "distance_km": max(1, round(km)),
                "online": user.settings.show_online_status and user.last_seen >= online_since,
            })
    return jsonify(buddies=sorted(buddies, key=lambda b: b["distance_km"]))
