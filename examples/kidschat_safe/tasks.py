"""Background jobs (Celery)."""
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from celery import shared_task

from .config import settings
from .extensions import db
from .models import ParentalConsent, Photo, Report, User
from .moderation import ScanUnavailable, screen_photo

logger = logging.getLogger(__name__)


def _send_mail(to, subject, body):
    """Send one plain-text email; returns whether the server accepted it."""
    msg = EmailMessage()
    msg["From"] = settings.MAIL_DEFAULT_SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(settings.MAIL_SERVER, settings.MAIL_PORT, timeout=30) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        logger.exception("SMTP delivery failed via %s:%s", settings.MAIL_SERVER, settings.MAIL_PORT)
        return False
    return True


@shared_task
def send_welcome_email(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        return
    email_sent = _send_mail(
        user.email,
        "Welcome to KidsChat!",
        f"Hi {user.first_name},\n\nWelcome to KidsChat. Ask your first homework question today!",
    )
    logger.info("welcome email user_id=%s email_sent=%s", user.id, email_sent)


@shared_task
def send_consent_request(consent_id, token):
    """Ask the parent; the child has given us nothing but this address."""
    consent = db.session.get(ParentalConsent, consent_id)
    if consent is None or consent.status != "pending":
        return
    link = f"{settings.PUBLIC_BASE_URL}/consent/verify/{token}"
    email_sent = _send_mail(
        consent.parent_email,
        "Your child would like to join KidsChat",
        "Someone gave this address as their parent's while signing up for KidsChat, a homework-help "
        "chat for students.\n\nBefore they can finish, we need your permission. The link below explains "
        "exactly what we collect (first name, email, birthday, optional school) and why, and lets you "
        f"say yes or no:\n\n{link}\n\nThe link expires in {settings.CONSENT_LINK_TTL_HOURS} hours. If "
        "you don't know what this is about, ignore this email and nothing will be stored.",
    )
    logger.info("consent request consent_id=%s email_sent=%s", consent.id, email_sent)


@shared_task
def send_consent_confirmation(consent_id, token):
    consent = db.session.get(ParentalConsent, consent_id)
    if consent is None:
        return
    withdraw_link = f"{settings.PUBLIC_BASE_URL}/consent/withdraw/{token}"
    email_sent = _send_mail(
        consent.parent_email,
        "You said yes to KidsChat",
        "Thanks for answering. If this wasn't you, or you change your mind, withdraw your consent here "
        f"and we'll delete the account:\n\n{withdraw_link}",
    )
    logger.info("consent confirmation consent_id=%s email_sent=%s", consent.id, email_sent)


@shared_task
def send_password_reset(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        return
    link = f"{settings.PUBLIC_BASE_URL}/reset/{user.get_reset_token()}"
    _send_mail(user.email, "Reset your KidsChat password", f"Reset it here: {link}")


@shared_task
def notify_new_message(recipient_id, message_id):
    recipient = db.session.get(User, recipient_id)
    if recipient is None or not recipient.settings.email_notifications:
        return
    # No message text or sender in the email: parents' inboxes are often shared.
    _send_mail(recipient.email, "You have a new message on KidsChat", "Log in to read it.")


@shared_task
def notify_moderators(report_id, urgent=False):
    report = db.session.get(Report, report_id)
    if report is None:
        return
    prefix = "[URGENT] " if urgent else ""
    link = f"{settings.PUBLIC_BASE_URL}/safety/review/reports#report-{report.id}"
    email_sent = _send_mail(settings.TRUST_SAFETY_EMAIL, f"{prefix}New report #{report.id}: {report.reason}", link)
    logger.info("moderators notified report_id=%s urgent=%s email_sent=%s", report.id, urgent, email_sent)


@shared_task
def escalate_hash_match(photo_id):
    """A known-CSAM hash matched: the file is kept in quarantine as evidence and
    the safety team files the hotline report and locks the account."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        return
    link = f"{settings.PUBLIC_BASE_URL}/safety/review/photos#photo-{photo.id}"
    _send_mail(settings.TRUST_SAFETY_EMAIL, f"[URGENT] Hash match on photo #{photo.id}", link)
    logger.critical("hash match escalated photo_id=%s owner_id=%s", photo.id, photo.owner_id)


@shared_task(bind=True, max_retries=12)
def rescan_photo(self, photo_id):
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.status != "quarantined":
        return
    try:
        result = screen_photo(photo)
    except ScanUnavailable as exc:
        raise self.retry(exc=exc, countdown=600)
    db.session.commit()
    if result.matched:
        escalate_hash_match.delay(photo.id)


@shared_task
def purge_withdrawn_accounts():
    """Nightly: delete accounts whose parent withdrew consent."""
    users = User.query.join(ParentalConsent).filter(ParentalConsent.status == "revoked").all()
    for user in users:
        db.session.delete(user)
    db.session.commit()
    logger.info("purged %d accounts after consent was withdrawn", len(users))


@shared_task
def purge_unanswered_consents():
    """Nightly: a parent's address is kept only while we wait for their answer."""
    cutoff = datetime.utcnow()
    ParentalConsent.query.filter(
        ParentalConsent.status.in_(("pending", "denied")), ParentalConsent.expires_at < cutoff
    ).delete(synchronize_session=False)
    db.session.commit()


@shared_task
def send_daily_digest():
    since = datetime.utcnow() - timedelta(days=1)
    users = User.query.filter(User.last_seen < since).all()
    sent = 0
    for user in users:
        if user.settings and user.settings.email_notifications:
            sent += _send_mail(user.email, "You have unread messages", "Come back and see what's new on KidsChat.")
    logger.info("daily digest sent to %d of %d users via %s", sent, len(users), settings.MAIL_SERVER)
