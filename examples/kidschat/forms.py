"""Sign-up form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8)])
    birth_date = DateField("Birthday", validators=[DataRequired()])
    newsletter = BooleanField("Send me news and offers from KidsChat and partners", default=True)
    remember_me = BooleanField("Keep me signed in", default=True)
