"""The privacy page: switches a child flips in their settings."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class PrivacySettingsForm(FlaskForm):
    # Planted (COP508): the switch only repeats its own name; nothing tells the child
    # that other users will see where they are.
    share_location = BooleanField("Share my location")
    profile_public = BooleanField("Public profile", description="Anyone on KidsChat can see your profile and posts.")
    dark_mode = BooleanField("Dark mode")
    submit = SubmitField("Save")
