"""Configuration for KidsChat. Values come from the environment in production."""
import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///kidschat.db")
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_DEFAULT_SENDER = "KidsChat <hello@kidschat.example>"

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", "uploads")
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    ALLOWED_IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif"}

    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
    SEGMENT_WRITE_KEY = os.environ.get("SEGMENT_WRITE_KEY", "")
    MIXPANEL_TOKEN = os.environ.get("MIXPANEL_TOKEN", "")
    POSTHOG_API_KEY = os.environ.get("POSTHOG_API_KEY", "")
    POSTHOG_HOST = os.environ.get("POSTHOG_HOST", "https://eu.posthog.com")

    TUTOR_PARTNER_URL = os.environ.get("TUTOR_PARTNER_URL", "https://api.tutorpartner.example/v1")
    TUTOR_PARTNER_KEY = os.environ.get("TUTOR_PARTNER_KEY", "")
    AD_EXCHANGE_URL = os.environ.get("AD_EXCHANGE_URL", "https://rtb.adexchange.example/openrtb2/auction")

    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
    NEARBY_RADIUS_KM = 5
    OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")


class DevelopmentConfig(Config):
    DEBUG = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


configs = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
}

settings = configs[os.environ.get("KIDSCHAT_ENV", "development")]
