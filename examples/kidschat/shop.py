"""The sticker shop: gem packs bought with a card, stickers and mystery eggs bought with gems."""
import random

import stripe
from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from .extensions import db

bp = Blueprint("shop", __name__, url_prefix="/shop")

GEM_PACKS = {"small": (100, 199), "large": (600, 999)}  # gems, price in cents
STICKERS = {"unicorn": 40, "rocket": 60}
EGG_PRICE = 150
EGG_PETS = ["kitten", "puppy", "owl", "golden dragon"]


@bp.route("/gems", methods=["POST"])
@login_required
def buy_gems():
    gems, cents = GEM_PACKS[request.form["pack"]]
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
    current_user.gems -= price
    current_user.stickers.append(name)
    db.session.commit()
    return jsonify(gems=current_user.gems)


@bp.route("/egg", methods=["POST"])
@login_required
def open_mystery_egg():
    if current_user.gems < EGG_PRICE:
        abort(402)
    current_user.gems -= EGG_PRICE
    pet = random.choice(EGG_PETS)
    current_user.pets.append(pet)
    db.session.commit()
    return jsonify(pet=pet)


@bp.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], "whsec_kidschat")
    if event["type"] == "payment_intent.succeeded":
        intent = event["data"]["object"]
        user = db.session.query(type(current_user)).filter_by(stripe_customer_id=intent["customer"]).one()
        user.gems += int(intent["metadata"]["gems"])
        db.session.commit()
    return "", 204
