"""Verifiable parental consent for children under CONSENT_AGE.

The child gives us one thing, a parent's email address. We email the parent
a single-use link; the parent reads what we collect and why, confirms they
are the parent or guardian, and decides. Only after a "yes" can the child
finish signing up, and the parent can withdraw consent at any time.
"""
import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from functools import wraps

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .extensions import db
from .models import ParentalConsent
from .tasks import send_consent_confirmation, send_consent_request
from .utils import audit

bp = Blueprint("consent", __name__, url_prefix="/consent")
logger = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def consent_required(view):
    """Stop a child whose parent hasn't agreed (or withdrew) from sharing data."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not current_user.may_share_personal_data:
            return render_template("consent/needed.html"), 403
        return view(*args, **kwargs)

    return wrapped


@bp.route("/ask-parent", methods=["GET", "POST"])
def ask_parent():
    if not session.get("consent_pending"):
        return redirect(url_for("auth.signup"))
    if request.method == "GET":
        return render_template("consent/ask_parent.html")

    parent_email = request.form.get("parent_email", "").strip().lower()
    if not EMAIL_RE.match(parent_email):
        flash("Please type your parent's email address.")
        return render_template("consent/ask_parent.html"), 400

    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=current_app.config["CONSENT_LINK_TTL_HOURS"])
    consent = ParentalConsent(
        parent_email=parent_email,
        token_hash=hash_token(token),
        expires_at=datetime.utcnow() + ttl,
    )
    db.session.add(consent)
    db.session.commit()
    session["consent_id"] = consent.id

    send_consent_request.delay(consent.id, token)
    audit("consent_requested", consent_id=consent.id)
    return render_template("consent/ask_parent_sent.html")


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token):
    consent = ParentalConsent.query.filter_by(token_hash=hash_token(token)).first_or_404()
    if consent.expired or consent.status != "pending":
        return render_template("consent/link_used.html"), 410
    if request.method == "GET":
        return render_template("consent/verify.html", consent=consent)

    if request.form.get("is_guardian") != "yes":
        flash("Only a parent or guardian can answer this request.")
        return render_template("consent/verify.html", consent=consent), 400

    granted = request.form.get("decision") == "grant"
    consent.status = "granted" if granted else "denied"
    consent.allow_analytics = granted and request.form.get("allow_analytics") == "on"
    consent.decided_at = datetime.utcnow()
    db.session.commit()

    audit("consent_decision", consent_id=consent.id, status=consent.status)
    if granted:
        send_consent_confirmation.delay(consent.id, token)
    return render_template("consent/thanks.html", granted=granted)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token):
    consent = ParentalConsent.query.filter_by(token_hash=hash_token(token)).first_or_404()
    if request.method == "GET":
        return render_template("consent/withdraw.html", consent=consent)
    consent.status = "revoked"
    consent.allow_analytics = False
    consent.decided_at = datetime.utcnow()
    db.session.commit()
    audit("consent_withdrawn", consent_id=consent.id)
    logger.info("consent %s withdrawn; account data is deleted by the nightly purge", consent.id)
    return render_template("consent/withdrawn.html")
