"""Flask extensions, created unbound and initialised in the app factory."""
from celery import Celery, Task
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to keep chatting."


def init_celery(app):
    """Bind a Celery app to the Flask app so tasks run inside an app context."""

    class ContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return super().__call__(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=ContextTask)
    celery_app.conf.broker_url = app.config["CELERY_BROKER_URL"]
    celery_app.conf.task_ignore_result = True
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
