"""Profiles, settings, location and photos."""
import logging
import uuid
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from .consent import consent_required
from .extensions import db
from .models import Photo, User
from .moderation import ScanUnavailable, quarantine_path, screen_photo
from .tasks import escalate_hash_match, rescan_photo
from .tracking import track_event
from .utils import allowed_image

bp = Blueprint("profile", __name__, url_prefix="/profile")
logger = logging.getLogger(__name__)

# No surname, phone number or home address: we don't need them to help with homework.
EDITABLE_FIELDS = ("first_name", "school", "city", "bio")
MESSAGE_MODES = ("friends", "nobody")


@bp.route("/edit", methods=["GET", "POST"])
@login_required
@consent_required
def edit():
    if request.method == "GET":
        return render_template("profile/edit.html", user=current_user)

    changed = []
    for field in EDITABLE_FIELDS:
        if field in request.form:
            setattr(current_user, field, request.form[field].strip() or None)
            changed.append(field)
    if request.form.get("grade", "").isdigit():
        current_user.grade = int(request.form["grade"])
        changed.append("grade")
    db.session.commit()

    logger.info("profile updated user_id=%s fields=%s", current_user.id, ",".join(changed))
    track_event(current_user, "Profile Updated", source="edit_page")
    flash("Profile saved!")
    return redirect(url_for("profile.edit"))


@bp.route("/settings", methods=["POST"])
@login_required
def update_settings():
    prefs = current_user.settings
    prefs.profile_public = request.form.get("profile_public") == "on"
    prefs.show_online_status = request.form.get("show_online_status") == "on"
    mode = request.form.get("allow_messages_from", prefs.allow_messages_from)
    prefs.allow_messages_from = mode if mode in MESSAGE_MODES else "friends"
    prefs.dark_mode = request.form.get("dark_mode") == "on"
    prefs.email_notifications = request.form.get("email_notifications") == "on"
    prefs.theme = request.form.get("theme", prefs.theme)

    wants_location = request.form.get("share_location") == "on"
    if wants_location and not prefs.share_location and current_user.may_share_personal_data:
        prefs.share_location = True
        current_user.location_opt_in_at = datetime.utcnow()
    elif not wants_location and prefs.share_location:
        prefs.share_location = False
        current_user.location_opt_in_at = None
        current_user.latitude = current_user.longitude = None
    db.session.commit()

    response = redirect(url_for("profile.edit"))
    response.set_cookie("theme", prefs.theme, max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


@bp.route("/location", methods=["POST"])
@login_required
@consent_required
def update_location():
    """Only for students who switched on "share my area with friends"."""
    if not current_user.settings.share_location or current_user.location_opt_in_at is None:
        return jsonify(error="location sharing is off"), 403
    data = request.get_json(silent=True) or {}
    try:
        # Two decimals is roughly 1 km: enough for "near you", not a home address.
        current_user.latitude = round(float(data["lat"]), 2)
        current_user.longitude = round(float(data["lng"]), 2)
    except (KeyError, TypeError, ValueError):
        return jsonify(error="lat and lng are required"), 400
    db.session.commit()
    logger.debug("coarse location updated user_id=%s", current_user.id)
    return jsonify(ok=True)


@bp.route("/photos", methods=["POST"])
@login_required
@consent_required
def upload_photo():
    upload = request.files.get("photo")
    allowed = current_app.config["ALLOWED_IMAGE_EXTENSIONS"]
    if upload is None or not upload.filename or not allowed_image(upload.filename, allowed):
        flash("Please choose a PNG, JPG or GIF.")
        return redirect(url_for("profile.show", username=current_user.username))

    filename = f"{uuid.uuid4().hex}_{secure_filename(upload.filename)}"
    upload.save(quarantine_path(filename))

    photo = Photo(owner=current_user, filename=filename, caption=request.form.get("caption", "")[:280])
    db.session.add(photo)
    db.session.commit()

    try:
        result = screen_photo(photo)
    except ScanUnavailable:
        logger.warning("hash matching unavailable; photo_id=%s stays quarantined", photo.id)
        rescan_photo.apply_async((photo.id,), countdown=300)
    else:
        if result.matched:
            escalate_hash_match.delay(photo.id)
    db.session.commit()

    track_event(current_user, "Photo Uploaded", photo_id=photo.id)
    flash("Thanks! Your photo will appear once our team has checked it.")
    return redirect(url_for("profile.show", username=current_user.username))


def _can_view(owner):
    if owner == current_user or owner.settings.profile_public:
        return True
    return owner.friends.filter_by(id=current_user.id).first() is not None


@bp.route("/photos/<path:filename>")
@login_required
def photo_file(filename):
    photo = Photo.query.filter_by(filename=filename, status="published").first_or_404()
    if not _can_view(photo.owner):
        abort(404)
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], photo.filename)


@bp.route("/u/<username>")
@login_required
def show(username):
    user = User.query.filter_by(username=username).first_or_404()
    if not _can_view(user):
        abort(404)
    photos = user.photos.filter_by(status="published").order_by(Photo.uploaded_at.desc()).all()
    return render_template("profile/show.html", user=user, photos=photos)
