"""Database models."""
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, login_manager
from .utils import calculate_age

conversation_members = db.Table(
    "conversation_members",
    db.Column("conversation_id", db.Integer, db.ForeignKey("conversations.id"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(40), unique=True, nullable=False, index=True)
    email = db.Column(db.String(255), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    first_name = db.Column(db.String(80), nullable=False)
    last_name = db.Column(db.String(80))
    birth_date = db.Column(db.Date, nullable=False)
    school = db.Column(db.String(120))
    grade = db.Column(db.Integer)
    city = db.Column(db.String(80))
    phone = db.Column(db.String(32))
    bio = db.Column(db.Text)
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    parent_approved = db.Column(db.Boolean, default=False, nullable=False)
    last_seen = db.Column(db.DateTime, default=datetime.utcnow)
    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    settings = db.relationship(
        "UserSettings", uselist=False, back_populates="user", cascade="all, delete-orphan"
    )
    photos = db.relationship("Photo", back_populates="owner", lazy="dynamic")
    questions = db.relationship("HomeworkQuestion", back_populates="author", lazy="dynamic")

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


class UserSettings(db.Model):
    __tablename__ = "user_settings"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), unique=True, nullable=False)
    profile_public = db.Column(db.Boolean, default=True, nullable=False)
    share_location = db.Column(db.Boolean, default=True, nullable=False)
    show_online_status = db.Column(db.Boolean, default=True, nullable=False)
    allow_messages_from = db.Column(db.String(16), default="everyone", nullable=False)
    dark_mode = db.Column(db.Boolean, default=False, nullable=False)
    email_notifications = db.Column(db.Boolean, default=True, nullable=False)
    theme = db.Column(db.String(16), default="light", nullable=False)

    user = db.relationship("User", back_populates="settings")


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

    conversation = db.relationship("Conversation", back_populates="messages")
    sender = db.relationship("User")


class Photo(db.Model):
    __tablename__ = "photos"

    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    filename = db.Column(db.String(255), nullable=False)
    caption = db.Column(db.String(280))
    status = db.Column(db.String(16), default="published", nullable=False)
    uploaded_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)

    owner = db.relationship("User", back_populates="photos")


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


class ParentalConsent(db.Model):
    """A request for a parent's consent, sent from the sign-up page."""

    __tablename__ = "parental_consents"

    id = db.Column(db.Integer, primary_key=True)
    parent_email = db.Column(db.String(255), nullable=False)
    status = db.Column(db.String(16), default="pending", nullable=False)
    requested_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)


class AgeVerification(db.Model):
    """The result of the selfie age estimate taken before chat is unlocked."""

    __tablename__ = "age_verifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    estimated_over_13 = db.Column(db.Boolean, nullable=False)
    selfie = db.Column(db.LargeBinary, nullable=False)
    checked_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)
