"""KidsChat: homework help and chat for students.

Run with `flask --app kidschat run`; the Celery worker script calls make_celery().
"""
import logging

import sentry_sdk
from flask import Flask, render_template
from flask_login import current_user
from sentry_sdk.integrations.flask import FlaskIntegration

from .config import settings
from .extensions import db, init_celery, login_manager


def _scrub_event(event, hint):
    """Drop request bodies, cookies and headers before anything leaves for Sentry."""
    request_data = event.get("request")
    if request_data:
        for key in ("data", "cookies", "headers", "query_string"):
            request_data.pop(key, None)
    return event


def create_app(config_object=settings):
    sentry_sdk.init(
        dsn=config_object.SENTRY_DSN,
        integrations=[FlaskIntegration()],
        traces_sample_rate=0.2,
        send_default_pii=False,
        before_send=_scrub_event,
    )

    app = Flask(__name__)
    app.config.from_object(config_object)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    db.init_app(app)
    login_manager.init_app(app)
    init_celery(app)

    from . import auth, chat, consent, profile, safety, tutors

    app.register_blueprint(auth.bp)
    app.register_blueprint(consent.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(safety.bp)
    app.register_blueprint(tutors.bp)

    @app.before_request
    def tag_sentry_user():
        if current_user.is_authenticated:
            sentry_sdk.set_user({"id": str(current_user.id)})

    @app.context_processor
    def inject_globals():
        from .tracking import fetch_sidebar_ad

        return {
            "sidebar_ad": fetch_sidebar_ad(),
            "child_helpline": app.config["CHILD_HELPLINE"],
        }

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        app.logger.error("500 on %s for user_id=%s", error.__class__.__name__, current_user.get_id())
        return render_template("errors/500.html"), 500

    return app


def make_celery():
    return create_app().extensions["celery"]
