"""Sign-up, log-in and password reset."""
import logging
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .extensions import db
from .models import User, UserSettings
from .tasks import send_password_reset, send_welcome_email
from .tracking import identify_user, track_event
from .utils import audit, calculate_age, parse_birth_date

bp = Blueprint("auth", __name__)
logger = logging.getLogger(__name__)


class SignupError(Exception):
    """Raised when the sign-up form can't be turned into an account."""


def _check_available(username, email):
    if User.query.filter_by(email=email).first() is not None:
        raise SignupError(f"There is already an account for {email}")
    if User.query.filter_by(username=username).first() is not None:
        raise SignupError(f"The username {username} is taken")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return render_template("auth/signup.html")

    print("signup form:", request.form)

    username = request.form["username"].strip()
    first_name = request.form["first_name"].strip()
    email = request.form["email"].strip().lower()
    school = request.form.get("school", "").strip()
    birth_date = parse_birth_date(request.form.get("birth_date"))

    if birth_date is None or not 1900 <= birth_date.year <= date.today().year:
        flash("Please pick your birthday from the calendar.")
        return render_template("auth/signup.html", form=request.form), 400

    try:
        _check_available(username, email)
    except SignupError as exc:
        logger.warning("Sign-up rejected: %s", exc)
        flash(str(exc))
        return render_template("auth/signup.html", form=request.form), 409

    user = User(
        username=username,
        first_name=first_name,
        email=email,
        school=school,
        birth_date=birth_date,
    )
    user.set_password(request.form["password"])
    user.settings = UserSettings()
    db.session.add(user)
    db.session.commit()

    age = calculate_age(birth_date)
    logger.info("signup user_id=%s age=%s", user.id, age)
    logger.info(f"New student signed up: {first_name} <{email}> from {school}")
    audit("signup", user_id=user.id, email=email, birth_date=birth_date.isoformat())

    identify_user(user)
    track_event(user, "Signed Up", method="email")
    send_welcome_email.delay(user.id)

    login_user(user)
    return redirect(url_for("auth.check_email", email=email))


@bp.route("/signup/check-email")
def check_email():
    return render_template("auth/check_email.html", email=request.args.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("chat.inbox"))
    if request.method == "GET":
        return render_template("auth/login.html", email=request.cookies.get("remember_email", ""))

    email = request.form["email"].strip().lower()
    user = User.query.filter_by(email=email).first()
    if user is None or not user.check_password(request.form["password"]):
        logger.warning("Failed login for %s" % email)
        flash("Wrong email or password.")
        return render_template("auth/login.html", email=email), 401

    login_user(user, remember=bool(request.form.get("remember")))
    track_event(user, "Logged In")

    response = redirect(request.args.get("next") or url_for("chat.inbox"))
    response.set_cookie("remember_email", email, max_age=60 * 60 * 24 * 365)
    return response


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
    current_app.logger.info("Password reset requested for " + email)
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
