"""The sticker shop: a child's gem packs need a parent's approval and stay within the monthly allowance the
parent sets; stickers and pets are sold as what they are, never as a random draw."""
import stripe
from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from .extensions import db

bp = Blueprint("shop", __name__, url_prefix="/shop")

GEM_PACKS = {"small": (100, 199), "large": (600, 999)}  # gems, price in cents
STICKERS = {"unicorn": 40, "rocket": 60}
PETS = {"kitten": 150, "puppy": 150, "owl": 150}


def _check_spend_limit(user, cents):
    """Stop the purchase when it would go over the monthly allowance the parent set."""
    if user.spent_this_month_cents + cents > user.monthly_spend_limit_cents:
        abort(403)


@bp.route("/gems", methods=["POST"])
@login_required
def buy_gems():
    gems, cents = GEM_PACKS[request.form["pack"]]
    if not current_user.parent_approved_purchases:
        abort(403)
    _check_spend_limit(current_user, cents)
    intent = stripe.PaymentIntent.create(
        amount=cents, currency="usd", customer=current_user.stripe_customer_id, metadata={"gems": gems}
    )
    return jsonify(client_secret=intent.client_secret)


@bp.route("/stickers/<name>", methods=["POST"])
@login_required
def buy_sticker(name):
    price = STICKERS[name]
    if current_user.gems < price:
        abort(402)
    _check_spend_limit(current_user, 0)
    current_user.gems -= price
    current_user.stickers.append(name)
    db.session.commit()
    return jsonify(gems=current_user.gems)


@bp.route("/pets/<name>", methods=["POST"])
@login_required
def buy_pet(name):
    price = PETS[name]
    if current_user.gems < price:
        abort(402)
    _check_spend_limit(current_user, 0)
    current_user.gems -= price
    current_user.pets.append(name)
    db.session.commit()
    return jsonify(pet=name)


@bp.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], "whsec_kidschat")
    if event["type"] == "payment_intent.succeeded":
        intent = event["data"]["object"]
        user = db.session.query(type(current_user)).filter_by(stripe_customer_id=intent["customer"]).one()
        user.gems += int(intent["metadata"]["gems"])
        db.session.commit()
    return "", 204
