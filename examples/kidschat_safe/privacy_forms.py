"""The privacy page: switches a child flips in their settings, each explained where it is."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class PrivacySettingsForm(FlaskForm):
    share_location = BooleanField(
        "Share my location",
        description="Your friends will see which town you are in, never your exact place. Turn it off at any time.",
    )
    profile_public = BooleanField("Public profile", description="Anyone on KidsChat can see your profile and posts.")
    dark_mode = BooleanField("Dark mode")
    submit = SubmitField("Save")
