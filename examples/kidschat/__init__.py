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


def create_app(config_object=settings):
    sentry_sdk.init(
        dsn=config_object.SENTRY_DSN,
        integrations=[FlaskIntegration()],
        traces_sample_rate=0.2,
        send_default_pii=True,
    )

    app = Flask(__name__)
    app.config.from_object(config_object)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    db.init_app(app)
    login_manager.init_app(app)
    init_celery(app)

    from . import auth, chat, profile, tutors

    app.register_blueprint(auth.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(tutors.bp)

    @app.before_request
    def tag_sentry_user():
        if current_user.is_authenticated:
            sentry_sdk.set_user({
                "id": current_user.id,
                "username": current_user.username,
                "email": current_user.email,
            })

    @app.context_processor
    def inject_sidebar_ad():
        from .tracking import fetch_sidebar_ad

        if not current_user.is_authenticated:
            return {"sidebar_ad": None}
        return {"sidebar_ad": fetch_sidebar_ad(current_user)}

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        if current_user.is_authenticated:
            app.logger.error("500 for %s <%s>: %s", current_user.username, current_user.email, error)
        return render_template("errors/500.html"), 500

    return app


def make_celery():
    return create_app().extensions["celery"]
