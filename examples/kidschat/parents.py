"""Asking a parent to agree, and the homework prize draw."""
from typing import Optional

from flask import Blueprint, redirect, request, url_for
from pydantic import BaseModel

from .extensions import db
from .models import ParentalConsent

bp = Blueprint("parents", __name__, url_prefix="/parents")


@bp.route("/ask", methods=["POST"])
def ask_parent():
    consent = ParentalConsent(parent_email=request.form["parent_email"].strip().lower())
    db.session.add(consent)
    db.session.commit()
    return redirect(url_for("parents.waiting"))


class PrizeDrawEntry(BaseModel):
    """Weekly prize draw for the best homework answer."""

    username: str
    answer_id: int
    phone: str
    home_address: str
    school: Optional[str] = None
