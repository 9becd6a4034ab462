"""Configuration for KidsChat. Values come from the environment in production."""
import os

# Age below which we need verifiable parental consent before we store a
# child's personal data (COPPA; GDPR Art. 8 as applied in our markets).
CONSENT_AGE = 13


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///kidschat.db")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_DEFAULT_SENDER = "KidsChat <hello@kidschat.example>"
    TRUST_SAFETY_EMAIL = os.environ.get("TRUST_SAFETY_EMAIL", "safety@kidschat.example")

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", "uploads")
    QUARANTINE_FOLDER = os.environ.get("QUARANTINE_FOLDER", "quarantine")
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    ALLOWED_IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif"}
    HASH_MATCH_URL = os.environ.get("HASH_MATCH_URL", "https://hashmatch.trustsafety.example/v2/match")
    HASH_MATCH_KEY = os.environ.get("HASH_MATCH_KEY", "")

    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
    SEGMENT_WRITE_KEY = os.environ.get("SEGMENT_WRITE_KEY", "")
    MIXPANEL_TOKEN = os.environ.get("MIXPANEL_TOKEN", "")
    POSTHOG_API_KEY = os.environ.get("POSTHOG_API_KEY", "")
    POSTHOG_HOST = os.environ.get("POSTHOG_HOST", "https://eu.posthog.com")
    # Key for pseudonymous ids sent to partners and for hashing emails in logs.
    PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY", "dev-only-pseudonym-key")

    TUTOR_PARTNER_URL = os.environ.get("TUTOR_PARTNER_URL", "https://api.tutorpartner.example/v1")
    TUTOR_PARTNER_KEY = os.environ.get("TUTOR_PARTNER_KEY", "")
    ADS_ENABLED = os.environ.get("ADS_ENABLED", "0") == "1"
    AD_EXCHANGE_URL = os.environ.get("AD_EXCHANGE_URL", "https://rtb.adexchange.example/openrtb2/auction")

    CONSENT_LINK_TTL_HOURS = 72
    CHILD_HELPLINE = {
        "name": "Child Helpline Cambodia",
        "phone": "1280",
        "hours": "24 hours, free of charge",
    }

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
