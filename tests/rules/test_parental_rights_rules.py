"""COP204-COP208: parents' rights, direct notice, excess required data, age-check artefacts.

Each case is real-looking app code; the expected findings are exact (rule and
count), so a rule that starts firing on a near miss, or stops firing on a
planted problem, fails.
"""

from __future__ import annotations

import textwrap
from typing import Dict, List

import pytest

from copguard_lint.config import Settings
from copguard_lint.engine import Engine

CODES = ("COP204", "COP205", "COP206", "COP207", "COP208")


def run(files: Dict[str, str], project: bool = True, **settings) -> List:
    engine = Engine(Settings(select=CODES, **settings))
    results = [engine.lint_source(path, textwrap.dedent(text)) for path, text in files.items()]
    return list(engine.finish_run(results, project=project).findings)


def rules(files: Dict[str, str], **settings) -> List[str]:
    return [f.rule for f in run(files, **settings)]


def one(source: str, **settings) -> List[str]:
    return rules({"app/mod.py": source}, **settings)


def per_file(source: str, **settings) -> List[str]:
    """Findings of the per-file rules only (a child model also makes a COP204 finding)."""
    return [r for r in one(source, **settings) if r not in ("COP204", "COP205")]


# -- COP204: child users, no deletion path ------------------------------------------------------

CHILD_MODEL = '''
    from django.db import models

    class Child(models.Model):
        first_name = models.CharField(max_length=50)
        birth_date = models.DateField()
'''

FLASK_AGE_GATE = '''
    from flask import Blueprint, redirect, request
    from .models import User, db

    bp = Blueprint("auth", __name__)

    @bp.route("/signup", methods=["POST"])
    def signup():
        age = int(request.form["age"])
        if age < {threshold}:
            return redirect("/ask-parent")
        db.session.add(User(email=request.form["email"]))
        db.session.commit()
        return redirect("/")
'''


def test_cop204_child_model_without_deletion() -> None:
    found = run({"kids/models.py": CHILD_MODEL})
    assert [(f.rule, f.path, f.line) for f in found] == [("COP204", "kids/models.py", 4)]
    assert "the Child model" in found[0].message and "withdraw consent" in found[0].message


def test_cop204_age_gate_letting_children_in() -> None:
    assert rules({"app/auth.py": FLASK_AGE_GATE.replace("{threshold}", "13")}) == ["COP204"]


def test_cop204_near_miss_adults_only_gate() -> None:
    """An 18+ gate keeps children out: no child users, nothing to delete."""
    assert rules({"app/auth.py": FLASK_AGE_GATE.replace("{threshold}", "18")}) == []


@pytest.mark.parametrize("deletion", [
    '''
    from .models import Child
    def delete_child(request, pk):
        Child.objects.get(pk=pk, parent=request.user).delete()
    ''',
    '''
    def close(request):
        request.user.delete()
    ''',
    '''
    from .extensions import db
    def forget(child):
        db.session.delete(child)
        db.session.commit()
    ''',
    '''
    from .services import anonymize_user
    def close_account(request):
        anonymize_user(request.user)
    ''',
    '''
    from django.contrib import admin
    from .models import Child
    admin.site.register(Child)
    ''',
    '''
    from rest_framework import viewsets
    from .models import Child
    from .serializers import ChildSerializer
    class ChildViewSet(viewsets.ModelViewSet):
        queryset = Child.objects.all()
        serializer_class = ChildSerializer
    ''',
])
def test_cop204_any_deletion_path_satisfies(deletion: str) -> None:
    assert rules({"kids/models.py": CHILD_MODEL, "kids/views.py": deletion}) == []


@pytest.mark.parametrize("not_deletion", [
    # deleting something that is not a person's record
    '''
    from .models import Block
    def unblock(request, pk):
        Block.objects.filter(blocker=request.user, blocked_id=pk).delete()
    ''',
    # a session key, not a record
    '''
    def logout(request):
        request.session.delete("consent_id")
    ''',
])
def test_cop204_near_miss_other_deletions(not_deletion: str) -> None:
    assert rules({"kids/models.py": CHILD_MODEL, "kids/views.py": not_deletion}) == ["COP204"]


def test_cop204_revocation_alone_is_not_deletion() -> None:
    revoke = '''
    def revoke_parental_consent(consent):
        consent.status = "revoked"
    '''
    found = run({"kids/models.py": CHILD_MODEL, "kids/consent.py": revoke})
    assert [f.rule for f in found] == ["COP204"]
    assert "nothing then deletes" in found[0].message


def test_cop204_tests_and_migrations_are_not_evidence() -> None:
    assert rules({"kids/tests/test_models.py": CHILD_MODEL, "kids/migrations/0001_initial.py": CHILD_MODEL}) == []


def test_cop204_not_in_flake8() -> None:
    assert run({"kids/models.py": CHILD_MODEL}, project=False) == []


# -- COP205: parent contact never purged ---------------------------------------------------------

CONSENT_MODEL = '''
    from .extensions import db

    class ParentalConsent(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        parent_email = db.Column(db.String(255), nullable=False)
        status = db.Column(db.String(16), default="pending")
'''

PURGES = {
    "query-delete": '''
        from .models import ParentalConsent
        def purge():
            ParentalConsent.query.filter(ParentalConsent.status == "pending").delete()
    ''',
    "session-delete": '''
        from .extensions import db
        from .models import ParentalConsent
        def expire(consent_id):
            consent = db.session.get(ParentalConsent, consent_id)
            db.session.delete(consent)
    ''',
    "clear-field": '''
        def deny(consent):
            consent.status = "denied"
            consent.parent_email = None
    ''',
    "django-manager": '''
        from .models import ParentalConsent
        def purge():
            ParentalConsent.objects.filter(status="pending").delete()
    ''',
}


def test_cop205_consent_record_never_purged() -> None:
    found = [f for f in run({"app/models.py": CONSENT_MODEL}) if f.rule == "COP205"]
    assert [(f.path, f.line) for f in found] == [("app/models.py", 4)]
    assert "parent_email" in found[0].message


@pytest.mark.parametrize("name", sorted(PURGES))
def test_cop205_purges(name: str) -> None:
    found = run({"app/models.py": CONSENT_MODEL, "app/tasks.py": PURGES[name]})
    assert [f.rule for f in found if f.rule == "COP205"] == []


def test_cop205_near_miss_deleting_another_model() -> None:
    other = '''
    from .models import Block
    def purge():
        Block.query.filter(Block.expired).delete()
    '''
    found = run({"app/models.py": CONSENT_MODEL, "app/tasks.py": other})
    assert [f.rule for f in found if f.rule == "COP205"] == ["COP205"]


def test_cop205_near_miss_not_a_consent_record() -> None:
    """A teacher's contact on a class is an adult's data, but not a consent request."""
    source = '''
    from .extensions import db
    class Classroom(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        teacher_email = db.Column(db.String(255))
    '''
    assert rules({"app/models.py": source}) == []


# -- COP206: required data an account does not need ----------------------------------------------


@pytest.mark.parametrize("source", [
    # Django form: required by default
    '''
    from django import forms
    class SignupForm(forms.Form):
        username = forms.CharField()
        phone = forms.CharField(max_length=20)
    ''',
    # DRF serializer: required by default
    '''
    from rest_framework import serializers
    class RegistrationSerializer(serializers.Serializer):
        email = serializers.EmailField()
        home_address = serializers.CharField()
    ''',
    # ModelForm with a same-file model field that is not blank=True
    '''
    from django import forms
    from django.db import models
    class Child(models.Model):
        nickname = models.CharField(max_length=30)
        school = models.CharField(max_length=100)
    class ChildForm(forms.ModelForm):
        class Meta:
            model = Child
            fields = ["nickname", "school"]
    ''',
    # Pydantic: no default, not Optional
    '''
    from pydantic import BaseModel
    class UserCreate(BaseModel):
        username: str
        password: str
        avatar: bytes
    ''',
    # WTForms: DataRequired
    '''
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired
    class RegisterForm(FlaskForm):
        username = StringField("Username", validators=[DataRequired()])
        phone = StringField("Phone", validators=[DataRequired()])
    ''',
])
def test_cop206_required_excess_fields(source: str) -> None:
    assert per_file(source) == ["COP206"]


@pytest.mark.parametrize("source", [
    # optional
    '''
    from django import forms
    class SignupForm(forms.Form):
        username = forms.CharField()
        phone = forms.CharField(required=False)
    ''',
    '''
    from rest_framework import serializers
    class RegistrationSerializer(serializers.Serializer):
        email = serializers.EmailField()
        home_address = serializers.CharField(required=False)
        avatar = serializers.ImageField(default=None)
    ''',
    '''
    from django import forms
    from django.db import models
    class Child(models.Model):
        nickname = models.CharField(max_length=30)
        school = models.CharField(max_length=100, blank=True)
    class ChildForm(forms.ModelForm):
        class Meta:
            model = Child
            fields = ["nickname", "school"]
    ''',
    '''
    from typing import Optional
    from pydantic import BaseModel
    class UserCreate(BaseModel):
        username: str
        avatar: Optional[bytes] = None
        phone: str | None
    ''',
    '''
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired, Optional
    class RegisterForm(FlaskForm):
        username = StringField("Username", validators=[DataRequired()])
        phone = StringField("Phone", validators=[Optional()])
    ''',
    # near miss: what an account needs (username, email, password, date of birth)
    '''
    from django import forms
    class SignupForm(forms.Form):
        username = forms.CharField()
        email = forms.EmailField()
        birth_date = forms.DateField()
        city = forms.CharField()
    ''',
    # near miss: a parent's phone is how consent is asked for
    '''
    from django import forms
    class ChildSignupForm(forms.Form):
        username = forms.CharField()
        parent_phone = forms.CharField()
    ''',
    # near miss: not a sign-up, a child's form or a contest (a shop's checkout)
    '''
    from django import forms
    class CheckoutForm(forms.Form):
        phone = forms.CharField()
        shipping_address = forms.CharField()
    ''',
])
def test_cop206_negatives_and_near_misses(source: str) -> None:
    assert per_file(source) == []


def test_cop206_audience_general_checks_only_childrens_schemas() -> None:
    signup = '''
    from django import forms
    class SignupForm(forms.Form):
        phone = forms.CharField()
    '''
    child = signup.replace("SignupForm", "ChildProfileForm")
    assert per_file(signup, audience="general") == []
    assert per_file(child, audience="general") == ["COP206"]


def test_cop206_message_names_every_field() -> None:
    source = '''
    from pydantic import BaseModel
    class ContestEntry(BaseModel):
        username: str
        phone: str
        home_address: str
    '''
    (finding,) = [f for f in run({"app/mod.py": source}) if f.rule != "COP204"]
    assert "phone number (phone)" in finding.message and "home address (home_address)" in finding.message
    assert finding.line == 5


# -- COP207: no direct notice to the parent ----------------------------------------------------

ASK_PARENT = '''
    from flask import Blueprint, redirect, request
    from .extensions import db
    from .models import ParentalConsent
    from .tasks import send_consent_request

    bp = Blueprint("consent", __name__)

    def _tell_parent(consent):
        {helper}

    @bp.route("/ask-parent", methods=["POST"])
    def ask_parent():
        consent = ParentalConsent(parent_email=request.form["parent_email"])
        db.session.add(consent)
        db.session.commit()
        {notice}
        return redirect("/waiting")
'''


def ask_parent(notice: str = "pass", helper: str = "pass") -> str:
    return ASK_PARENT.replace("{notice}", notice).replace("{helper}", helper)


def test_cop207_no_notice() -> None:
    found = run({"app/consent.py": ask_parent()})
    assert [(f.rule, f.line) for f in found] == [("COP207", 15)]
    assert "parent_email" in found[0].message


@pytest.mark.parametrize("notice, helper", [
    ("send_consent_request.delay(consent.id)", "pass"),
    ("send_consent_request(consent.id)", "pass"),
    ("mail.send(Message(recipients=[consent.parent_email]))", "pass"),
    ("_tell_parent(consent)", "send_mail('Consent', 'body', None, [consent.parent_email])"),
    ("notify_parent(consent)", "pass"),
])
def test_cop207_notice_sent(notice: str, helper: str) -> None:
    # (a consent request also tells COP204 that the service has child users)
    assert [r for r in rules({"app/consent.py": ask_parent(notice, helper)}) if r != "COP204"] == []


def test_cop207_near_miss_helper_that_does_not_send() -> None:
    assert rules({"app/consent.py": ask_parent("_tell_parent(consent)", "consent.status = 'asked'")}) == ["COP207"]


def test_cop207_near_miss_adult_contact_that_is_not_a_parent() -> None:
    source = '''
    from flask import Blueprint, request
    from flask_login import login_required
    from .extensions import db
    from .models import Classroom

    bp = Blueprint("classes", __name__)

    @bp.route("/classes", methods=["POST"])
    @login_required
    def create_class():
        db.session.add(Classroom(teacher_email=request.form["teacher_email"]))
        db.session.commit()
        return "ok"
    '''
    assert per_file(source) == []


# -- COP208: age-check artefacts kept ---------------------------------------------------------


def test_cop208_model_keeps_selfie_and_document() -> None:
    source = '''
    from django.db import models
    class AgeVerification(models.Model):
        user = models.OneToOneField("auth.User", on_delete=models.CASCADE)
        selfie = models.ImageField()
        id_document_number = models.CharField(max_length=40)
        document_type = models.CharField(max_length=20)
        over_13 = models.BooleanField()
    '''
    (finding,) = run({"app/models.py": source})
    assert finding.rule == "COP208" and finding.line == 5
    assert "selfie and id_document_number" in finding.message


def test_cop208_near_miss_outcome_only() -> None:
    source = '''
    from django.db import models
    class AgeVerification(models.Model):
        user = models.OneToOneField("auth.User", on_delete=models.CASCADE)
        document_type = models.CharField(max_length=20)
        face_match_score = models.FloatField()
        verified_at = models.DateTimeField()
    '''
    assert per_file(source) == []


def test_cop208_near_miss_photo_on_a_profile() -> None:
    """An avatar on a profile is not an age check's artefact (COP1xx rules cover where it goes)."""
    source = '''
    from django.db import models
    class Profile(models.Model):
        avatar = models.ImageField()
        passport_number = models.CharField(max_length=20)
    '''
    assert per_file(source) == []


AGE_HANDLER = '''
    from django.core.files.storage import default_storage
    from .models import AgeCheck
    from .vendor import estimate

    def verify_age(request):
        selfie = request.FILES["selfie"]
        result = estimate(image=selfie.read())
        {store}
        return result
'''


@pytest.mark.parametrize("store", [
    'default_storage.save(f"age/{request.user.id}.jpg", selfie)',
    "AgeCheck.objects.create(user=request.user, over_13=result.over_13, selfie=selfie)",
    'open("/var/age/selfie.jpg", "wb").write(selfie.read())',
])
def test_cop208_age_check_function_stores_the_selfie(store: str) -> None:
    assert per_file(AGE_HANDLER.replace("{store}", store)) == ["COP208"]


@pytest.mark.parametrize("store", [
    "AgeCheck.objects.create(user=request.user, over_13=result.over_13)",
    "pass",
])
def test_cop208_near_miss_only_the_outcome_is_stored(store: str) -> None:
    assert per_file(AGE_HANDLER.replace("{store}", store)) == []


def test_cop208_near_miss_selfie_saved_outside_an_age_check() -> None:
    source = AGE_HANDLER.replace("verify_age", "upload_avatar").replace(
        "{store}", 'default_storage.save("avatars/x.jpg", selfie)')
    assert per_file(source) == []


# -- COP209: a child's purchase with no parental approval or spend limit -------------------------


def shop(files: Dict[str, str], child: bool = True, **settings) -> List:
    """COP209 findings for these files, plus a Child model unless `child` is False."""
    if child:
        files = {"kids/models.py": CHILD_MODEL, **files}
    engine = Engine(Settings(select=("COP209",), **settings))
    results = [engine.lint_source(path, textwrap.dedent(text)) for path, text in files.items()]
    return list(engine.finish_run(results).findings)


SHOP_VIEW = '''
    import random

    import stripe
    from django.contrib.auth.decorators import login_required
    from django.db.models import F
    from django.http import JsonResponse
    from django.views.decorators.http import require_POST

    from .models import Child

    PETS = ["kitten", "owl", "dragon"]


    @login_required
    @require_POST
    def {name}(request):
        {body}
        return JsonResponse({{}})
'''

STRIPE_CHARGE = 'stripe.PaymentIntent.create(amount=499, currency="eur", customer=request.user.stripe_customer_id)'


def view(name: str, *lines: str, extra: str = "") -> str:
    source = SHOP_VIEW.replace("{name}", name).replace("{body}", "\n        ".join(lines)).replace("{{}}", "{}")
    return textwrap.dedent(source) + extra


@pytest.mark.parametrize("name, body", [
    ("buy_gems", [STRIPE_CHARGE]),
    ("buy_gems", ['stripe.checkout.Session.create(mode="payment", line_items=[])']),
    ("subscribe", ['stripe.Subscription.create(customer="cus_1", items=[])']),
    ("buy_gems", ['client = stripe.StripeClient("sk")', 'client.payment_intents.create(params={"amount": 499})']),
    ("buy_gems", ['result = helper(request)'],),
])
def test_cop209_charge_without_approval_or_limit(name: str, body: List[str]) -> None:
    extra = "\n\ndef helper(request):\n    return " + STRIPE_CHARGE + "\n" if body == ['result = helper(request)'] else ""
    found = shop({"kids/views.py": view(name, *body, extra=extra)})
    assert [f.rule for f in found] == ["COP209"]
    assert "Stripe" in found[0].message and "the Child model" in found[0].message
    assert "spend limit" in found[0].message


def test_cop209_braintree_sale() -> None:
    source = view("checkout", 'gateway.transaction.sale({"amount": "4.99"})').replace(
        "import stripe", "import braintree\n\ngateway = braintree.BraintreeGateway(None)")
    assert [f.rule for f in shop({"kids/views.py": source})] == ["COP209"]


@pytest.mark.parametrize("debit", [
    "child.coins -= 50",
    "child.gem_balance = child.gem_balance - 50",
    'Child.objects.filter(user=request.user).update(coins=F("coins") - 50)',
    "child.wallet.balance -= 50",
    "spend_coins(child, 50)",
])
def test_cop209_currency_bought_with_money(debit: str) -> None:
    files = {
        "kids/views.py": view("buy_hat", "child = Child.objects.get(user=request.user)", debit, "child.save()"),
        "kids/payments.py": view("buy_coins", STRIPE_CHARGE),
    }
    found = [f for f in shop(files) if f.path == "kids/views.py"]
    assert [f.rule for f in found] == ["COP209"]
    assert "virtual currency" in found[0].message and "sells it for money" in found[0].message


def test_cop209_loot_box_is_reported_even_with_approval() -> None:
    source = view(
        "open_chest", "child = Child.objects.get(user=request.user)",
        "if not child.parent_approved_purchases:", "    return JsonResponse({}, status=403)",
        "child.coins -= 100", "pet = random.choice(PETS)", "child.save()",
    ).replace("return JsonResponse({}, status=403)", "return JsonResponse({'error': 1}, status=403)")
    found = shop({"kids/views.py": source, "kids/pay.py": view("buy_coins", STRIPE_CHARGE)})
    found = [f for f in found if f.path == "kids/views.py"]
    assert [f.rule for f in found] == ["COP209"]
    assert "loot box" in found[0].message and "random.choice(PETS)" in found[0].message


def test_cop209_audience_children_needs_no_evidence() -> None:
    source = view("buy_gems", STRIPE_CHARGE)
    assert [f.rule for f in shop({"shop/views.py": source}, child=False, audience="children")] == ["COP209"]


GUARDED = [
    # a spend limit the parent sets
    ["child = Child.objects.get(user=request.user)", "if child.spent_this_month + 499 > child.monthly_spend_limit:",
     "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE],
    ["check_spend_limit(request.user, 499)", STRIPE_CHARGE],
    ["if 499 > MAX_PURCHASE_AMOUNT:", "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE],
    ["if not within_allowance(request.user, 499):", "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE],
    # a parent's approval
    ["child = Child.objects.get(user=request.user)", "if not child.parent_approved:",
     "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE],
    ["require_parental_consent(request.user)", STRIPE_CHARGE],
    ["if not has_guardian_approval(request.user):", "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE],
]


@pytest.mark.parametrize("body", GUARDED)
def test_cop209_near_miss_approval_or_spend_limit(body: List[str]) -> None:
    assert shop({"kids/views.py": view("buy_gems", *body)}) == []


@pytest.mark.parametrize("name, body", [
    ("stripe_webhook", ['event = stripe.Webhook.construct_event(request.body, "sig", "whsec")', STRIPE_CHARGE]),
    ("payment_callback", [STRIPE_CHARGE]),
    ("refund_order", ['stripe.Charge.create(amount=1, currency="eur")']),
    ("parent_checkout", [STRIPE_CHARGE]),
    ("family_plan", ["if not request.user.is_parent:", "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE]),
    ("buy_gems", ['stripe.PaymentIntent.create(amount=499, customer=request.user.parent.stripe_customer_id)']),
    ("admin_charge", [STRIPE_CHARGE]),
    ("buy_gems", ["if not request.user.is_staff:", "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE]),
    ("gem_price", ['price = stripe.Price.retrieve("price_1")']),
    ("buy_gems", ['intent = stripe.PaymentIntent.retrieve("pi_1")']),
])
def test_cop209_near_miss_not_a_childs_purchase(name: str, body: List[str]) -> None:
    assert shop({"kids/views.py": view(name, *body)}) == []


def test_cop209_near_miss_adults_only_gate() -> None:
    source = view("buy_gems", "if calculate_age(request.user.birth_date) < 18:",
                  "    return JsonResponse({'error': 1}, status=403)", STRIPE_CHARGE)
    assert shop({"kids/views.py": source}) == []


def test_cop209_near_miss_no_child_users() -> None:
    assert shop({"shop/views.py": view("buy_gems", STRIPE_CHARGE)}, child=False) == []


def test_cop209_near_miss_currency_never_sold() -> None:
    """Coins a child earns and spends in the app are a game score, not money."""
    source = view("buy_hat", "child = Child.objects.get(user=request.user)", "child.coins -= 50", "child.save()")
    assert shop({"kids/views.py": source.replace("import stripe\n", "")}) == []


@pytest.mark.parametrize("name, body", [
    ("answer_quiz", ["child = Child.objects.get(user=request.user)", "child.coins -= 5", "child.save()"]),
    ("buy_hat", ["child = Child.objects.get(user=request.user)", "child.points -= 50", "child.save()"]),
    ("buy_hat", ["order_code = random.choice(string.ascii_letters)", "child = Child.objects.get(user=request.user)"]),
])
def test_cop209_near_miss_not_spending(name: str, body: List[str]) -> None:
    files = {"kids/views.py": view(name, *body), "kids/pay.py": view("buy_coins", STRIPE_CHARGE)}
    assert [f for f in shop(files) if f.path == "kids/views.py"] == []


def test_cop209_near_miss_order_code_is_not_a_loot_box() -> None:
    source = view("buy_gems", "import string", "code = ''.join(random.choice(string.digits) for _ in range(6))",
                  STRIPE_CHARGE)
    found = shop({"kids/views.py": source})
    assert [f.rule for f in found] == ["COP209"] and "loot box" not in found[0].message


def test_cop209_tests_are_not_purchases() -> None:
    assert shop({"kids/tests/test_views.py": view("buy_gems", STRIPE_CHARGE)}) == []


def test_cop209_not_in_flake8() -> None:
    engine = Engine(Settings(select=("COP209",)))
    results = [engine.lint_source(p, textwrap.dedent(t)) for p, t in
               {"kids/models.py": CHILD_MODEL, "kids/views.py": view("buy_gems", STRIPE_CHARGE)}.items()]
    assert list(engine.finish_run(results, project=False).findings) == []
