"""Family accounts: a parent's view of their child's account."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from .models import Conversation, User

bp = Blueprint("family", __name__, url_prefix="/family")


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
    return render_template("family/chats.html", child=child, conversations=conversations)
