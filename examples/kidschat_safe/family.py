"""Family accounts: a parent's view of their child's account, which the child is told about."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from .extensions import db
from .models import Conversation, User

bp = Blueprint("family", __name__, url_prefix="/family")


def notify_user(user, text):
    """A notice shown on the user's home page until they dismiss it."""
    user.pending_notice = text


def _own_child(child_id):
    child = User.query.get_or_404(child_id)
    if child.parent_id != current_user.id:
        abort(403)
    return child


@bp.route("/children/<int:child_id>/chats")
@login_required
def parent_child_chats(child_id):
    child = _own_child(child_id)
    conversations = Conversation.query.filter(Conversation.members.any(id=child.id)).all()
    notify_user(child, "Your parent looked at your chat list today.")
    db.session.commit()
    return render_template("family/chats.html", child=child, conversations=conversations)
