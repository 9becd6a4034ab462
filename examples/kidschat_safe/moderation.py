"""Upload safety: every photo is quarantined, cleaned and hash-matched
against known child sexual abuse material before a human reviews it.
Nothing is visible to other users until a moderator approves it.
"""
import logging
import os
import re
import shutil
from dataclasses import dataclass
from typing import Optional

import imagehash
import requests
from flask import current_app
from PIL import Image, ImageOps

from .config import settings

logger = logging.getLogger(__name__)


class ScanUnavailable(Exception):
    """The hash-matching service gave no answer; the photo stays quarantined."""


@dataclass(frozen=True)
class ScanResult:
    matched: bool
    reference: Optional[str] = None


def quarantine_path(filename):
    return os.path.join(current_app.config["QUARANTINE_FOLDER"], filename)


def strip_metadata(path):
    """Re-encode without EXIF, which is where phones put GPS coordinates."""
    with Image.open(path) as img:
        img.load()
        image_format = img.format
        clean = ImageOps.exif_transpose(img)
    clean.info.pop("exif", None)
    clean.save(path, format=image_format)


def scan_image_for_csam(path):
    """Look the image's perceptual hash up in the industry hash list.

    Only the hash leaves our servers, never the picture.
    """
    with Image.open(path) as img:
        digest = str(imagehash.phash(img))
    try:
        resp = requests.post(
            settings.HASH_MATCH_URL,
            json={"algorithm": "phash", "hashes": [digest]},
            headers={"Authorization": f"Bearer {settings.HASH_MATCH_KEY}"},
            timeout=10,
        )
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise ScanUnavailable(str(exc)) from exc
    matches = resp.json().get("matches") or []
    if matches:
        return ScanResult(matched=True, reference=matches[0].get("id"))
    return ScanResult(matched=False)


def screen_photo(photo):
    """Run the automatic checks on a quarantined photo and move it along.

    Raises ScanUnavailable if the scan could not run; the caller retries later.
    """
    path = quarantine_path(photo.filename)
    strip_metadata(path)
    result = scan_image_for_csam(path)
    if result.matched:
        photo.status = "blocked"
        photo.scan_reference = result.reference
        logger.critical("hash match photo_id=%s reference=%s", photo.id, result.reference)
    else:
        photo.status = "pending_review"
    return result


# Patterns a message from one student to another must not contain: sexual
# content, moving the chat elsewhere, meeting up, and contact details.
TEXT_FILTERS = {
    "sexual": r"\b(nudes?|sexy|send (me )?(a )?pic)",
    "off_platform": r"\b(snap(chat)?|whats ?app|telegram|kik|discord)\b",
    "meet_up": r"\b(meet (me|up)|come over|where do you live)\b",
    "contact_details": r"(\+?\d[\d -]{7,}\d|@[a-z0-9_.]+\.[a-z]{2,})",
}


@dataclass(frozen=True)
class TextCheck:
    flagged: bool
    reasons: tuple = ()


def screen_text(text):
    """Word and pattern filter run on every message before it is delivered."""
    lowered = text.lower()
    reasons = tuple(name for name, pattern in TEXT_FILTERS.items() if re.search(pattern, lowered))
    return TextCheck(flagged=bool(reasons), reasons=reasons)


def publish(photo, moderator):
    """Moderator approved: move the file to the public folder."""
    if photo.status != "pending_review":
        raise ValueError(f"photo {photo.id} is {photo.status}, not pending_review")
    shutil.move(
        quarantine_path(photo.filename),
        os.path.join(current_app.config["UPLOAD_FOLDER"], photo.filename),
    )
    photo.status = "published"
    photo.reviewed_by_id = moderator.id
