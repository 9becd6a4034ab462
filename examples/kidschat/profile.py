"""Profiles, settings, location and photos."""
import logging
import os
import uuid

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

from .extensions import db
from .models import Photo, User
from .tracking import track_event
from .utils import allowed_image, parse_birth_date

bp = Blueprint("profile", __name__, url_prefix="/profile")
logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("first_name", "last_name", "school", "city", "phone", "bio")


@bp.route("/edit", methods=["GET", "POST"])
@login_required
def edit():
    if request.method == "GET":
        return render_template("profile/edit.html", user=current_user)

    for field in EDITABLE_FIELDS:
        if field in request.form:
            setattr(current_user, field, request.form[field].strip() or None)
    if request.form.get("grade", "").isdigit():
        current_user.grade = int(request.form["grade"])
    birth_date = parse_birth_date(request.form.get("birth_date"))
    if birth_date is not None:
        current_user.birth_date = birth_date
    db.session.commit()

    logger.info(
        "profile updated",
        extra={"user_id": current_user.id, "phone": current_user.phone, "school": current_user.school},
    )
    current_app.logger.debug(f"{current_user.first_name} {current_user.last_name} now lives in {current_user.city}")
    track_event(current_user, "Profile Updated", fields=sorted(request.form.keys()))
    flash("Profile saved!")
    return redirect(url_for("profile.edit"))


@bp.route("/settings", methods=["POST"])
@login_required
def update_settings():
    prefs = current_user.settings
    prefs.profile_public = request.form.get("profile_public") == "on"
    prefs.share_location = request.form.get("share_location") == "on"
    prefs.show_online_status = request.form.get("show_online_status") == "on"
    prefs.allow_messages_from = request.form.get("allow_messages_from", prefs.allow_messages_from)
    prefs.dark_mode = request.form.get("dark_mode") == "on"
    prefs.email_notifications = request.form.get("email_notifications") == "on"
    prefs.theme = request.form.get("theme", prefs.theme)
    db.session.commit()
    return redirect(url_for("profile.edit"))


@bp.route("/location", methods=["POST"])
@login_required
def update_location():
    """Called by the browser's geolocation API when the app opens."""
    data = request.get_json(silent=True) or {}
    try:
        current_user.latitude = float(data["lat"])
        current_user.longitude = float(data["lng"])
    except (KeyError, TypeError, ValueError):
        return jsonify(error="lat and lng are required"), 400
    if data.get("city"):
        current_user.city = data["city"]
    db.session.commit()
    logging.info("Location for %s: %.5f,%.5f", current_user.email, current_user.latitude, current_user.longitude)
    return jsonify(ok=True)


@bp.route("/photos", methods=["POST"])
@login_required
def upload_photo():
    upload = request.files.get("photo")
    allowed = current_app.config["ALLOWED_IMAGE_EXTENSIONS"]
    if upload is None or not upload.filename or not allowed_image(upload.filename, allowed):
        flash("Please choose a PNG, JPG or GIF.")
        return redirect(url_for("profile.show", username=current_user.username))

    filename = f"{uuid.uuid4().hex}_{secure_filename(upload.filename)}"
    upload.save(os.path.join(current_app.config["UPLOAD_FOLDER"], filename))

    photo = Photo(owner=current_user, filename=filename, caption=request.form.get("caption", "")[:280])
    db.session.add(photo)
    db.session.commit()
    track_event(current_user, "Photo Uploaded", photo_id=photo.id)
    return redirect(url_for("profile.show", username=current_user.username))


@bp.route("/photos/<path:filename>")
def photo_file(filename):
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], filename)


@bp.route("/u/<username>")
def show(username):
    user = User.query.filter_by(username=username).first_or_404()
    if not user.settings.profile_public and user != current_user:
        abort(404)
    photos = user.photos.filter_by(status="published").order_by(Photo.uploaded_at.desc()).all()
    return render_template("profile/show.html", user=user, photos=photos)
