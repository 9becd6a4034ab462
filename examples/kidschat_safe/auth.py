"""Sign-up (behind the age screen and parental consent), log-in and password reset."""
import logging
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .config import CONSENT_AGE
from .extensions import db
from .models import ParentalConsent, User, UserSettings
from .tasks import send_password_reset, send_welcome_email
from .tracking import identify_user, track_event
from .utils import audit, calculate_age, hash_email, mask_email, parse_birth_date

bp = Blueprint("auth", __name__)
logger = logging.getLogger(__name__)


class SignupError(Exception):
    """Raised when the sign-up form can't be turned into an account."""


def _check_available(username, email):
    if User.query.filter_by(email=email).first() is not None:
        raise SignupError("There is already an account for that email address.")
    if User.query.filter_by(username=username).first() is not None:
        raise SignupError("That username is taken, please pick another one.")


def _granted_consent():
    """The parent's granted, still unused consent for this browser's sign-up."""
    consent_id = session.get("consent_id")
    if consent_id is None:
        return None
    consent = db.session.get(ParentalConsent, consent_id)
    if consent is None or consent.status != "granted":
        return None
    if User.query.filter_by(parental_consent_id=consent.id).first() is not None:
        return None
    return consent


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return render_template("auth/signup.html")

    # Neutral age screen: nothing else on the form is read until we know
    # whether a parent has to agree first.
    birth_date = parse_birth_date(request.form.get("birth_date"))
    if birth_date is None or not 1900 <= birth_date.year <= date.today().year:
        flash("Please pick your birthday from the calendar.")
        return render_template("auth/signup.html"), 400

    consent = None
    age = calculate_age(birth_date)
    # A child already sent to ask a parent can't skip it by changing the birthday.
    if age < CONSENT_AGE or session.get("consent_pending"):
        consent = _granted_consent()
        if consent is None:
            session["consent_pending"] = True
            return redirect(url_for("consent.ask_parent"))

    username = request.form["username"].strip()
    first_name = request.form["first_name"].strip()
    email = request.form["email"].strip().lower()
    school = request.form.get("school", "").strip() or None

    try:
        _check_available(username, email)
    except SignupError as exc:
        logger.info("sign-up rejected: %s", exc)
        flash(str(exc))
        return render_template("auth/signup.html"), 409

    user = User(
        username=username,
        first_name=first_name,
        email=email,
        school=school,
        birth_date=birth_date,
        parental_consent=consent,
    )
    if consent is not None:
        user.analytics_consent = consent.allow_analytics
    else:
        user.analytics_consent = request.form.get("analytics_opt_in") == "on"
    user.set_password(request.form["password"])
    user.settings = UserSettings()
    db.session.add(user)
    db.session.commit()
    session.pop("consent_id", None)
    session.pop("consent_pending", None)

    audit("signup", user_id=user.id, parental_consent=consent is not None)
    identify_user(user)
    track_event(user, "Signed Up", method="email")
    send_welcome_email.delay(user.id)

    login_user(user)
    return redirect(url_for("auth.check_email"))


@bp.route("/signup/check-email")
@login_required
def check_email():
    return render_template("auth/check_email.html", email_hint=mask_email(current_user.email))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("chat.inbox"))
    if request.method == "GET":
        return render_template("auth/login.html")

    email = request.form["email"].strip().lower()
    user = User.query.filter_by(email=email).first()
    if user is None or not user.check_password(request.form["password"]):
        logger.warning("failed login email_hash=%s", hash_email(email))
        flash("Wrong email or password.")
        return render_template("auth/login.html"), 401

    login_user(user, remember=bool(request.form.get("remember")))
    track_event(user, "Logged In")
    next_url = request.args.get("next", "")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = url_for("chat.inbox")
    return redirect(next_url)


@bp.route("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_password():
    if request.method == "GET":
        return render_template("auth/reset.html")

    email = request.form["email"].strip().lower()
    user = User.query.filter_by(email=email).first()
    current_app.logger.info("password reset requested email_hash=%s known=%s", hash_email(email), user is not None)
    if user is not None:
        send_password_reset.delay(user.id)
    flash("If that address has an account, we've sent a reset link.")
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_with_token(token):
    user = User.from_reset_token(token)
    if user is None:
        flash("That link has expired. Please ask for a new one.")
        return redirect(url_for("auth.reset_password"))
    if request.method == "GET":
        return render_template("auth/new_password.html", token=token)
    user.set_password(request.form["password"])
    db.session.commit()
    flash("Password changed. You can log in now.")
    return redirect(url_for("auth.login"))
