"""Background jobs (Celery)."""
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from celery import shared_task

from .config import settings
from .extensions import db
from .models import Message, User

logger = logging.getLogger(__name__)


def _send_mail(to, subject, body):
    msg = EmailMessage()
    msg["From"] = settings.MAIL_DEFAULT_SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(settings.MAIL_SERVER, settings.MAIL_PORT, timeout=30) as smtp:
        smtp.send_message(msg)


@shared_task
def send_welcome_email(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        return
    _send_mail(
        user.email,
        "Welcome to KidsChat!",
        f"Hi {user.first_name},\n\nWelcome to KidsChat. Ask your first homework question today!",
    )
    logger.info("Welcome email sent to %s (%s)", user.email, user.first_name)


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
    message = db.session.get(Message, message_id)
    if recipient is None or message is None or not recipient.settings.email_notifications:
        return
    _send_mail(
        recipient.email,
        f"New message from {message.sender.display_name}",
        f"{message.sender.display_name} wrote:\n\n{message.body[:500]}",
    )


@shared_task
def send_daily_digest():
    since = datetime.utcnow() - timedelta(days=1)
    users = User.query.filter(User.last_seen < since).all()
    sent = 0
    for user in users:
        if user.settings and user.settings.email_notifications:
            _send_mail(user.email, "You have unread messages", "Come back and see what's new on KidsChat.")
            sent += 1
    logger.info("daily digest sent to %d of %d users", sent, len(users))
