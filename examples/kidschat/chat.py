"""Direct messages between students, plus "study buddies near you"."""
import logging
from datetime import datetime, timedelta

import sentry_sdk
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .models import Conversation, Message, User, UserSettings
from .tasks import notify_new_message
from .tracking import track_event
from .utils import calculate_age, distance_km

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
    messages = convo.messages.all()
    for message in messages:
        if message.sender_id != current_user.id and message.read_at is None:
            message.read_at = datetime.utcnow()
    db.session.commit()
    return render_template("chat/conversation.html", conversation=convo, messages=messages)


@bp.route("/new", methods=["POST"])
@login_required
def start_conversation():
    age = calculate_age(current_user.birth_date)
    if age < 12 and not current_user.parent_approved:
        flash("Ask a parent to switch on chat for your account.")
        return redirect(url_for("chat.inbox"))

    recipient = User.query.filter_by(username=request.form["username"].strip()).first_or_404()
    if recipient == current_user:
        abort(400)
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
        if recipient.settings.allow_messages_from == "nobody":
            abort(403)

    message = Message(conversation=convo, sender=current_user, body=body[:MAX_MESSAGE_LENGTH])
    convo.updated_at = datetime.utcnow()
    db.session.add(message)
    db.session.commit()

    sentry_sdk.add_breadcrumb(
        category="chat",
        message=f"{current_user.first_name} messaged {', '.join(r.first_name for r in recipients)}",
        level="info",
    )
    track_event(current_user, "Message Sent", conversation_id=convo.id, length=len(body))
    for recipient in recipients:
        notify_new_message.delay(recipient.id, message.id)
    return jsonify(id=message.id, sent_at=message.created_at.isoformat()), 201


@bp.route("/nearby")
@login_required
def nearby():
    """Students close by who share their location, so they can meet to study."""
    if current_user.latitude is None:
        return jsonify(buddies=[])
    radius = current_app.config["NEARBY_RADIUS_KM"]
    candidates = (
        User.query.join(UserSettings)
        .filter(UserSettings.share_location.is_(True), User.id != current_user.id, User.latitude.isnot(None))
        .limit(500)
        .all()
    )
    online_since = datetime.utcnow() - timedelta(minutes=5)
    buddies = []
    for user in candidates:
        km = distance_km(current_user.latitude, current_user.longitude, user.latitude, user.longitude)
        if km <= radius:
            buddies.append({
                "username": user.username,
                "first_name": user.first_name,
                "school": user.school,
                "distance_km": round(km, 1),
                "online": user.settings.show_online_status and user.last_seen >= online_since,
            })
    return jsonify(buddies=sorted(buddies, key=lambda b: b["distance_km"]))
