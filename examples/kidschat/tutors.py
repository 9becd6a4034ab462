"""Homework questions, answered by our tutoring partner."""
import logging

import requests
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .config import settings
from .extensions import db
from .models import HomeworkQuestion
from .tracking import track_event

bp = Blueprint("homework", __name__, url_prefix="/homework")
logger = logging.getLogger(__name__)

SUBJECTS = ("maths", "science", "english", "khmer", "history", "geography", "other")


def forward_to_tutor(user, question):
    """Open a ticket with the partner; they reply by email and webhook."""
    payload = {
        "student": {
            "name": f"{user.first_name} {user.last_name or ''}".strip(),
            "school": user.school,
            "grade": user.grade,
            "email": user.email,
        },
        "subject": question.subject,
        "question": question.body,
        "callback_url": url_for("homework.partner_webhook", _external=True),
    }
    resp = requests.post(
        f"{settings.TUTOR_PARTNER_URL}/questions",
        json=payload,
        headers={"Authorization": f"Bearer {settings.TUTOR_PARTNER_KEY}"},
        timeout=10,
    )
    if resp.status_code >= 400:
        logger.error("Tutor partner rejected question from %s: %s", user.email, resp.text[:200])
        return None
    return resp.json().get("ticket_id")


@bp.route("/", methods=["GET", "POST"])
@login_required
def ask():
    if request.method == "GET":
        questions = current_user.questions.order_by(HomeworkQuestion.created_at.desc()).all()
        return render_template("homework/ask.html", questions=questions, subjects=SUBJECTS)

    subject = request.form.get("subject", "other")
    body = request.form.get("body", "").strip()
    if subject not in SUBJECTS or len(body) < 10:
        flash("Tell us a bit more about your question.")
        return redirect(url_for("homework.ask"))

    question = HomeworkQuestion(author=current_user, subject=subject, body=body)
    db.session.add(question)
    db.session.commit()

    question.partner_ticket_id = forward_to_tutor(current_user, question)
    db.session.commit()
    track_event(current_user, "Question Asked", subject=subject)
    flash("A tutor will answer soon!")
    return redirect(url_for("homework.ask"))


@bp.route("/partner-webhook", methods=["POST"])
def partner_webhook():
    if request.headers.get("X-Partner-Key") != settings.TUTOR_PARTNER_KEY:
        return "", 403
    data = request.get_json(force=True)
    question = HomeworkQuestion.query.filter_by(partner_ticket_id=data.get("ticket_id")).first()
    if question is None:
        return "", 404
    logger.info("answer received for question %s", question.id)
    return "", 204


@bp.route("/<int:question_id>/hint", methods=["POST"])
@login_required
def ai_hint(question_id):
    """A quick hint from the AI study buddy while the tutor is on the way."""
    from openai import OpenAI

    question = HomeworkQuestion.query.get_or_404(question_id)
    client = OpenAI(api_key=settings.OPENAI_API_KEY)
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are a friendly study buddy for school children."},
            {
                "role": "user",
                "content": f"I'm {current_user.first_name} {current_user.last_name}, "
                f"in grade {current_user.grade} at {current_user.school}. {question.body}",
            },
        ],
    )
    return {"hint": completion.choices[0].message.content}
