"""Reporting a photo: the "Report" button under every picture on a profile."""
from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .models import Photo

bp = Blueprint("reports", __name__, url_prefix="/reports")


class PhotoReport(db.Model):
    __tablename__ = "photo_reports"

    REASONS = (
        ("spam", "Spam or advertising"),
        ("bullying", "Bullying or harassment"),
        ("nudity", "Nudity or sexual content"),
        ("other", "Something else"),
    )

    id = db.Column(db.Integer, primary_key=True)
    reporter_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    photo_id = db.Column(db.Integer, db.ForeignKey("photos.id"), nullable=False)
    reason = db.Column(db.String(16), nullable=False)
    details = db.Column(db.Text)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)


@bp.route("/photo/<int:photo_id>", methods=["POST"])
@login_required
def report_photo(photo_id):
    photo = db.get_or_404(Photo, photo_id)
    reason = request.form.get("reason", "other")
    if reason not in dict(PhotoReport.REASONS):
        reason = "other"
    db.session.add(PhotoReport(reporter_id=current_user.id, photo_id=photo.id, reason=reason,
                               details=request.form.get("details", "")[:1000]))
    db.session.commit()
    flash("Thanks, our team will take a look.")
    return redirect(url_for("profile.show", username=photo.owner.username))
