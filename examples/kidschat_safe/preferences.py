"""What the app does for the user: off until the child, or a parent, switches it on."""
from .extensions import db


class FeedPreferences(db.Model):
    __tablename__ = "feed_preferences"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), unique=True, nullable=False)
    autoplay_videos = db.Column(db.Boolean, default=False, nullable=False)
    push_notifications = db.Column(db.Boolean, default=False, nullable=False)
    quiet_hours_enabled = db.Column(db.Boolean, default=True, nullable=False)
    read_receipts = db.Column(db.Boolean, default=False, nullable=False)
    personalised_feed = db.Column(db.Boolean, default=False, nullable=False)
    homework_reminders_hour = db.Column(db.Integer, default=17, nullable=False)
