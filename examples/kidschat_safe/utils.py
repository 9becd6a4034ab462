"""Small helpers shared by the blueprints."""
import hashlib
import hmac
import logging
from datetime import date, datetime

from .config import settings

audit_logger = logging.getLogger("kidschat.audit")


def audit(event, **details):
    """Write one structured line to the audit log.

    Support reads this in Kibana, so pass ids and flags only, never a
    student's name, email, school or birthday.
    """
    fields = " ".join(f"{key}={value}" for key, value in sorted(details.items()))
    audit_logger.info("event=%s %s", event, fields)


def hash_email(email):
    """Keyed hash of an email address, for correlating log lines."""
    normalised = (email or "").strip().lower().encode()
    return hmac.new(settings.PSEUDONYM_KEY.encode(), normalised, hashlib.sha256).hexdigest()[:16]


def mask_email(email):
    """j***@example.com, for screens that must show which address we used."""
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def pseudonymous_id(user_id, purpose):
    """Stable id for one partner that can't be linked across partners."""
    message = f"{purpose}:{user_id}".encode()
    return hmac.new(settings.PSEUDONYM_KEY.encode(), message, hashlib.sha256).hexdigest()[:24]


def parse_birth_date(raw):
    """Parse the YYYY-MM-DD value sent by the date picker."""
    try:
        return datetime.strptime((raw or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def calculate_age(birth_date, today=None):
    today = today or date.today()
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def allowed_image(filename, allowed_extensions):
    return "." in filename and filename.rsplit(".", 1)[1].lower() in allowed_extensions


def distance_km(lat1, lon1, lat2, lon2):
    """Rough equirectangular distance; good enough for "nearby" lists."""
    from math import cos, radians, sqrt

    x = radians(lon2 - lon1) * cos(radians((lat1 + lat2) / 2))
    y = radians(lat2 - lat1)
    return 6371 * sqrt(x * x + y * y)
