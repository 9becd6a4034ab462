"""Database models."""
import secrets
import uuid
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .config import CONSENT_AGE
from .extensions import db, login_manager
from .utils import calculate_age

conversation_members = db.Table(
    "conversation_members",
    db.Column("conversation_id", db.Integer, db.ForeignKey("conversations.id"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
)

friendships = db.Table(
    "friendships",
    db.Column("user_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
    db.Column("friend_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
)


def _new_friend_code():
    return secrets.token_hex(3).upper()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(40), unique=True, nullable=False, index=True)
    email = db.Column(db.String(255), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    first_name = db.Column(db.String(80), nullable=False)
    birth_date = db.Column(db.Date, nullable=False)
    school = db.Column(db.String(120))
    grade = db.Column(db.Integer)
    city = db.Column(db.String(80))
    bio = db.Column(db.Text)
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    location_opt_in_at = db.Column(db.DateTime)
    friend_code = db.Column(db.String(6), unique=True, default=_new_friend_code)
    analytics_id = db.Column(db.String(32), unique=True, default=lambda: uuid.uuid4().hex)
    analytics_consent = db.Column(db.Boolean, default=False, nullable=False)
    parental_consent_id = db.Column(db.Integer, db.ForeignKey("parental_consents.id"))
    is_moderator = db.Column(db.Boolean, default=False, nullable=False)
    last_seen = db.Column(db.DateTime, default=datetime.utcnow)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    settings = db.relationship(
        "UserSettings", uselist=False, back_populates="user", cascade="all, delete-orphan"
    )
    parental_consent = db.relationship("ParentalConsent")
    photos = db.relationship("Photo", back_populates="owner", lazy="dynamic", foreign_keys="Photo.owner_id")
    questions = db.relationship("HomeworkQuestion", back_populates="author", lazy="dynamic")
    friends = db.relationship(
        "User",
        secondary=friendships,
        primaryjoin=id == friendships.c.user_id,
        secondaryjoin=id == friendships.c.friend_id,
        lazy="dynamic",
    )

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def get_reset_token(self):
        serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")
        return serializer.dumps({"user_id": self.id})

    @classmethod
    def from_reset_token(cls, token, max_age=3600):
        serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")
        try:
            data = serializer.loads(token, max_age=max_age)
        except BadSignature:
            return None
        return db.session.get(cls, data["user_id"])

    @property
    def display_name(self):
        return self.first_name or self.username

    @property
    def age(self):
        return calculate_age(self.birth_date)

    @property
    def needs_parental_consent(self):
        return self.age < CONSENT_AGE

    @property
    def has_parental_consent(self):
        return self.parental_consent is not None and self.parental_consent.status == "granted"

    @property
    def may_share_personal_data(self):
        """False for a child whose parent has not (or no longer) agreed."""
        return not self.needs_parental_consent or self.has_parental_consent

    def accepts_messages_from(self, sender):
        mode = self.settings.allow_messages_from
        if mode == "nobody":
            return False
        return self.friends.filter_by(id=sender.id).first() is not None


class UserSettings(db.Model):
    __tablename__ = "user_settings"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), unique=True, nullable=False)
    profile_public = db.Column(db.Boolean, default=False, nullable=False)
    share_location = db.Column(db.Boolean, default=False, nullable=False)
    show_online_status = db.Column(db.Boolean, default=False, nullable=False)
    allow_messages_from = db.Column(db.String(16), default="friends", nullable=False)
    dark_mode = db.Column(db.Boolean, default=False, nullable=False)
    email_notifications = db.Column(db.Boolean, default=True, nullable=False)
    theme = db.Column(db.String(16), default="light", nullable=False)

    user = db.relationship("User", back_populates="settings")


class ParentalConsent(db.Model):
    """A parent's answer to our emailed consent request for one child account."""

    __tablename__ = "parental_consents"

    id = db.Column(db.Integer, primary_key=True)
    parent_email = db.Column(db.String(255), nullable=False)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    status = db.Column(db.String(16), default="pending", nullable=False)  # pending/granted/denied/revoked
    allow_analytics = db.Column(db.Boolean, default=False, nullable=False)
    requested_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)
    expires_at = db.Column(db.DateTime, nullable=False)
    decided_at = db.Column(db.DateTime)

    @property
    def expired(self):
        return self.status == "pending" and datetime.utcnow() > self.expires_at


class Conversation(db.Model):
    __tablename__ = "conversations"

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)
    updated_at = db.Column(db.DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)

    members = db.relationship("User", secondary=conversation_members, lazy="joined")
    messages = db.relationship(
        "Message", back_populates="conversation", order_by="Message.created_at", lazy="dynamic"
    )

    @classmethod
    def between(cls, user_a, user_b):
        for convo in cls.query.filter(cls.members.any(id=user_a.id)):
            if user_b in convo.members and len(convo.members) == 2:
                return convo
        return None


class Message(db.Model):
    __tablename__ = "messages"

    id = db.Column(db.Integer, primary_key=True)
    conversation_id = db.Column(db.Integer, db.ForeignKey("conversations.id"), nullable=False)
    sender_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)
    read_at = db.Column(db.DateTime)
    hidden = db.Column(db.Boolean, default=False, nullable=False)

    conversation = db.relationship("Conversation", back_populates="messages")
    sender = db.relationship("User")


class Block(db.Model):
    __tablename__ = "blocks"

    blocker_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)
    blocked_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    @classmethod
    def exists_between(cls, user_a, user_b):
        return (
            cls.query.filter(
                db.or_(
                    db.and_(cls.blocker_id == user_a.id, cls.blocked_id == user_b.id),
                    db.and_(cls.blocker_id == user_b.id, cls.blocked_id == user_a.id),
                )
            ).first()
            is not None
        )


class Report(db.Model):
    __tablename__ = "reports"

    REASONS = ("bullying", "asked_for_photos", "asked_to_meet", "adult_content", "spam", "other")

    id = db.Column(db.Integer, primary_key=True)
    reporter_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    reported_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    message_id = db.Column(db.Integer, db.ForeignKey("messages.id"))
    photo_id = db.Column(db.Integer, db.ForeignKey("photos.id"))
    reason = db.Column(db.String(32), nullable=False)
    details = db.Column(db.Text)
    status = db.Column(db.String(16), default="open", nullable=False)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)


class Photo(db.Model):
    __tablename__ = "photos"

    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    filename = db.Column(db.String(255), nullable=False)
    caption = db.Column(db.String(280))
    # quarantined -> pending_review -> published, or quarantined -> blocked
    status = db.Column(db.String(16), default="quarantined", nullable=False)
    scan_reference = db.Column(db.String(64))
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    uploaded_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    owner = db.relationship("User", back_populates="photos", foreign_keys=[owner_id])


class HomeworkQuestion(db.Model):
    __tablename__ = "homework_questions"

    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    subject = db.Column(db.String(40), nullable=False)
    body = db.Column(db.Text, nullable=False)
    partner_ticket_id = db.Column(db.String(64))
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    author = db.relationship("User", back_populates="questions")


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))


class AgeVerification(db.Model):
    """The outcome of the selfie age estimate; the selfie itself is never stored."""

    __tablename__ = "age_verifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    estimated_over_13 = db.Column(db.Boolean, nullable=False)
    method = db.Column(db.String(32), default="facial-age-estimate", nullable=False)
    checked_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)
