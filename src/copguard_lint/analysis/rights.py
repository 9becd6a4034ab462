"""Parents' rights over a child's data: what a file says about child users, deletion and consent records.

COPPA gives a parent the right to have a child's data deleted and to stop its
further use (312.6), and allows keeping a parent's contact details without
consent only long enough to ask for it (312.5(c)(1)); 312.10 forbids keeping a
child's data longer than needed. Whether a project honours that is a question
about the whole tree, so this analysis records plain facts and the project
rules in rules/parental_rights.py join them:

* `rights.children` (located): the code knows it has child users. A model
  named for a child (`Child`, `Student`, `KidProfile`), a parental-consent
  check or request, or an age comparison with a threshold under 18 that lets
  younger users in (an 18+ gate keeps children out and is not evidence).
* `rights.erase` (unlocated): the file deletes or anonymises a person's record
  (`user.delete()`, `db.session.delete(child)`, `User.objects.filter(...).delete()`,
  a `delete_account` / `anonymize_user` function or call, a destroy view or
  viewset for a person's model, an admin registration of one), or revokes a
  parent's consent (`revoke_consent`, `consent.status = "revoked"`).
* `rights.consent-record` (located): a model that keeps a parent's contact
  details for a consent request (`ParentalConsent.parent_email`).
* `rights.purge` (unlocated): the models whose records the file deletes, and
  parent contact fields it clears, so a consent request can be purged.

Tests and migrations say nothing about what the service does and are skipped.
The vocabulary is data (`data/rights.toml`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..data_files import load_data
from ..findings import Span
from ..imports import dotted
from ..rule import Analysis
from .entrypoints import ClassInfo, EntryPointAnalysis, string_value
from .flow import _vocabulary_for, module_name
from .guards import AGE, CONSENT, GuardAnalysis, _header_parts, _last_name, _suite, _walk_nodes
from .names import split_words

FACT_CHILDREN = "rights.children"
FACT_ERASE = "rights.erase"
FACT_CONSENT_RECORD = "rights.consent-record"
FACT_PURGE = "rights.purge"
_NOWHERE = Span(1, 1, 1, 1)


class RightsVocabulary:
    """data/rights.toml."""

    def __init__(self, data: dict) -> None:
        self.erase_verbs = frozenset(data["erase-verbs"])
        self.erase_objects = frozenset(data["erase-objects"])
        self.erase_methods = frozenset(data["erase-methods"])
        self.destroy_bases = frozenset(data["destroy-bases"])
        self.admin_register = frozenset(data["admin-register"])
        self.revoke_verbs = frozenset(data["revoke-verbs"])
        self.revoked_values = frozenset(data["revoked-values"])
        self.child_threshold_below = int(data["child-threshold-below"])
        self.notice_verbs = frozenset(data["notice-verbs"])
        self.notice_nouns = frozenset(data["notice-nouns"])
        self.notice_calls = frozenset(data["notice-calls"])
        self.task_wrappers = frozenset(data["task-wrappers"])
        self.parent_words = frozenset(data["parent-words"])
        self.signup_words = frozenset(data["signup-words"])
        self.signup_phrases = tuple(tuple(p) for p in data["signup-phrases"])
        self.contest_words = frozenset(data["contest-words"])
        self.signup_bases = frozenset(data["signup-bases"])
        self.excess_labels = frozenset(data["excess-labels"])
        self.excess_categories = frozenset(data["excess-categories"])
        self.not_address_words = frozenset(data["not-address-words"])
        self.wtforms_required = frozenset(data["wtforms-required"])
        self.age_check_words = frozenset(data["age-check-words"])
        self.artefact_words = frozenset(data["artefact-words"])
        self.artefact_phrases = tuple(tuple(p) for p in data["artefact-phrases"])
        self.artefact_metadata = frozenset(data["artefact-metadata-words"])
        self.store_methods = frozenset(data["store-methods"])

    # -- names ------------------------------------------------------------------
    def erases(self, name: Optional[str]) -> bool:
        """`delete_account`, `anonymize_user`, `purge_child_data`, `deleteMe`."""
        words = split_words((name or "").rsplit(".", 1)[-1])
        return bool(words) and words[0] in self.erase_verbs and bool(set(words[1:]) & self.erase_objects)

    def revokes(self, name: Optional[str], kinds: FrozenSet[str]) -> bool:
        words = split_words((name or "").rsplit(".", 1)[-1])
        return bool(words) and bool(set(words) & self.revoke_verbs) and CONSENT in kinds

    def is_parental(self, text: str) -> bool:
        return bool(set(split_words(text)) & self.parent_words)

    def sends(self, name: Optional[str]) -> bool:
        """A call that sends something: `send_consent_request`, `notify_parent`, `consent_mail`, `send_mail`."""
        if not name:
            return False
        if name in self.notice_calls or name.rsplit(".", 1)[-1] in self.notice_calls:
            return True
        words = split_words(name.rsplit(".", 1)[-1])
        return bool(words) and (words[0] in self.notice_verbs or words[-1] in self.notice_nouns)

    def is_signup(self, name: str, bases: Sequence[str]) -> bool:
        words = split_words(name)
        if set(words) & self.signup_words or _has_phrase(words, self.signup_phrases):
            return True
        return any(base.rsplit(".", 1)[-1] in self.signup_bases for base in bases)

    def is_contest(self, name: str) -> bool:
        return bool(set(split_words(name)) & self.contest_words)

    def is_age_check(self, name: Optional[str], guard_kinds: FrozenSet[str]) -> bool:
        """`AgeVerification`, `verify_age`, `estimate_age`, `AgeCheck`: named for checking an age."""
        words = split_words((name or "").rsplit(".", 1)[-1])
        if "age" not in words:
            return False
        return AGE in guard_kinds or bool(set(words) & self.age_check_words)

    def is_artefact(self, name: str, category: Optional[str] = None) -> bool:
        """`selfie`, `id_document`, `passport_number`, `face_image`; not `document_type`, `face_match_score`."""
        words = split_words(name)
        if not words or words[-1] in self.artefact_metadata:
            return False
        if category in ("media", "government_id", "biometric"):
            return True
        return bool(set(words) & self.artefact_words) or _has_phrase(words, self.artefact_phrases)


@lru_cache(maxsize=1)
def rights_vocabulary() -> RightsVocabulary:
    return RightsVocabulary(load_data("rights.toml"))


def _has_phrase(words: Sequence[str], phrases: Iterable[Tuple[str, ...]]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        for start in range(len(words) - n + 1):
            if tuple(words[start : start + n]) == phrase:
                return True
    return False


def is_test_or_migration(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(part in ("tests", "test", "testing", "testutils", "test_utils", "migrations") for part in parts[:-1])
        or name.startswith("test") or name.endswith("_test.py") or name in ("conftest.py", "factories.py")
    )


# -- model fields ------------------------------------------------------------------


def class_fields(node: cst.ClassDef) -> List[Tuple[str, cst.CSTNode, Optional[cst.BaseExpression], Optional[cst.BaseExpression]]]:
    """(name, statement, value, annotation) of each field-like assignment in a class body."""
    out = []
    for statement in _suite(node.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                out.append((small.target.value, small, small.value, small.annotation.annotation))
            elif isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        out.append((target.target.value, small, small.value, None))
    return [f for f in out if not f[0].startswith("_") and not f[0].isupper()]


def _names_under(node: cst.CSTNode) -> List[str]:
    """The spelling of every `Name` under `node` (not inside nested functions or lambdas), in order."""
    name = cst.Name
    return [n.value for n in _walk_nodes(node) if type(n) is name]


def chain_names(node: Optional[cst.BaseExpression]) -> List[str]:
    """Names of an attribute/call chain, outermost last: `User.objects.filter(x=1)` -> [User, objects, filter]."""
    out: List[str] = []
    while node is not None:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            out.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Name):
            out.append(node.value)
            break
        else:
            break
    return list(reversed(out))


# -- the analysis ------------------------------------------------------------------


class RightsAnalysis(Analysis):
    """Records child-user evidence, deletion and consent-record facts for COP204/COP205."""

    requires = (EntryPointAnalysis, GuardAnalysis)
    prefilter = None  # facts from any file decide a project rule

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = rights_vocabulary()
        self.names = _vocabulary_for(ctx.settings)

    @property
    def entries(self) -> EntryPointAnalysis:
        return self.ctx.analysis(EntryPointAnalysis)

    @property
    def guards(self) -> GuardAnalysis:
        return self.ctx.analysis(GuardAnalysis)

    def finish(self) -> None:
        if is_test_or_migration(self.ctx.path):
            return
        self.module = module_name(self.ctx.path)
        self._children()
        self._erase_and_purge()

    # -- helpers used by the rules too -------------------------------------------
    def models(self) -> List[ClassInfo]:
        from .features import model_framework, vocabulary_for

        features = vocabulary_for(self.ctx.settings)
        cached = getattr(self, "_models", None)
        if cached is None:
            cached = self._models = [
                info for info in self.entries.classes.values() if model_framework(info.node, self.ctx, features)
            ]
        return cached

    def person_subject(self, name: Optional[str]) -> Optional[str]:
        if not name:
            return None
        return self.names.subject_of(name)

    # -- evidence of child users --------------------------------------------------
    def _children(self) -> None:
        guards, vocab = self.guards, self.vocabulary
        recorded: Set[str] = set()

        def record(kind: str, node: cst.CSTNode, text: str) -> None:
            if kind in recorded:
                return
            recorded.add(kind)
            self.ctx.record(FACT_CHILDREN, node, evidence=kind, text=text, module=self.module)

        for info in self.models():
            words = split_words(info.name)
            if self.person_subject(info.name) == "child" and words and words[-1] not in ("group", "groups", "class"):
                record("model", info.node.name, f"the {info.name} model")
            elif CONSENT in guards.vocabulary.name_kinds(info.name) and vocab.is_parental(info.name):
                record("consent-record", info.node.name, f"the {info.name} model")
        for qualname, function in self.entries.functions.items():
            for guard in guards.guards_in(function) + guards.function_guards(function):
                if guard.kind == CONSENT and guard.enforced:
                    record("consent-check", guard.node, f"the parental-consent check {guard.text} in {qualname}()")
                if guard.kind == AGE and guard.threshold is not None and 0 < guard.threshold < vocab.child_threshold_below:
                    record("age-threshold", guard.node, f"the age check {guard.text} in {qualname}()")
            if self.entries.entry_point_for(function) is not None:
                for node, text in guards.consent_requests(function):
                    if isinstance(node, cst.Call) and vocab.sends(_last_name(node.func)):
                        record("consent-request", node, f"the consent request {text} in {qualname}()")

    # -- deletion, revocation, purges ------------------------------------------------
    def _erase_and_purge(self) -> None:
        vocab = self.vocabulary
        erase: List[List[str]] = []  # [kind, what]
        purged: Set[str] = set()
        cleared: Set[str] = set()
        model_names = {info.name for info in self.models()}
        for qualname, function in self.entries.functions.items():
            words_of_function = qualname.rsplit(".", 1)[-1]
            if vocab.erases(words_of_function):
                erase.append(["delete", f"{qualname}()"])
            kinds = self.guards.vocabulary.name_kinds(words_of_function)
            if vocab.revokes(words_of_function, kinds):
                erase.append(["revoke", f"{qualname}()"])
            self._scan_function(function, qualname, erase, purged, cleared)
        for info in self.entries.classes.values():
            self._scan_class(info, erase, model_names)
        self._scan_module_calls(erase)
        if erase:
            unique = []
            for item in erase:
                if item not in unique:
                    unique.append(item)
            self.ctx.record(FACT_ERASE, _NOWHERE, module=self.module, items=unique[:20])
        if purged or cleared:
            self.ctx.record(FACT_PURGE, _NOWHERE, module=self.module, models=sorted(purged), fields=sorted(cleared))
        for info in self.models():
            contact = self._parent_contact_fields(info)
            if contact and CONSENT in self.guards.vocabulary.name_kinds(info.name) | self._field_kinds(info):
                self.ctx.record(FACT_CONSENT_RECORD, info.node.name, module=self.module, model=info.name,
                                fields=contact)

    def _field_kinds(self, info: ClassInfo) -> FrozenSet[str]:
        out: Set[str] = set()
        for name, _, _, _ in class_fields(info.node):
            out |= self.guards.vocabulary.name_kinds(name)
        return frozenset(out)

    def _parent_contact_fields(self, info: ClassInfo) -> List[str]:
        out = []
        for name, _, _, _ in class_fields(info.node):
            match = self.names.classify(name)
            if match.category is not None and match.category.id == "contact" and self.vocabulary.is_parental(name):
                out.append(name)
        return out

    def _scan_function(self, function: cst.FunctionDef, qualname: str, erase: List[List[str]], purged: Set[str],
                       cleared: Set[str]) -> None:
        index = self.guards.index(function)
        assigned: Dict[str, List[str]] = {}  # variable -> names in the expression it was assigned from
        for statement in index.statements:
            for part in _header_parts(statement):
                for node in _walk_nodes(part):
                    kind = type(node)  # libcst's node classes are final: cheaper than isinstance
                    if kind is cst.Call:
                        self._call(node, assigned, erase, purged)
                    elif kind is cst.Assign:
                        names: Optional[List[str]] = None  # read only for a plain variable target
                        for target in node.targets:
                            target_kind = type(target.target)
                            if target_kind is cst.Name:
                                if names is None:
                                    names = _names_under(node.value)
                                assigned[target.target.value] = names
                            elif target_kind is cst.Attribute:
                                self._assignment(target.target, node.value, erase, cleared)
                    elif kind is cst.For and type(node.target) is cst.Name:
                        assigned[node.target.value] = _names_under(node.iter)
            if type(statement) is cst.For and type(statement.target) is cst.Name:
                assigned[statement.target.value] = _names_under(statement.iter)

    def _assignment(self, target: cst.Attribute, value: cst.BaseExpression, erase: List[List[str]],
                    cleared: Set[str]) -> None:
        vocab = self.vocabulary
        owner = dotted(target.value) or ""
        attr = target.attr.value
        text = string_value(value)
        if text is not None and text.lower() in vocab.revoked_values and (
            CONSENT in self.guards.vocabulary.name_kinds(owner) or CONSENT in self.guards.vocabulary.name_kinds(attr)
        ):
            erase.append(["revoke", f"{owner}.{attr} = {text!r}"])
        if (isinstance(value, cst.Name) and value.value == "None") or text == "":
            match = self.names.classify(attr)
            if match.category is not None and match.category.id == "contact" and vocab.is_parental(attr):
                cleared.add(attr)

    def _call(self, node: cst.Call, assigned: Dict[str, List[str]], erase: List[List[str]], purged: Set[str]) -> None:
        vocab = self.vocabulary
        func = node.func
        name = _last_name(func) or ""
        if vocab.erases(name):
            erase.append(["delete", f"{dotted(func) or name}()"])
        if CONSENT in self.guards.vocabulary.name_kinds(name) and vocab.revokes(name, self.guards.vocabulary.name_kinds(name)):
            erase.append(["revoke", f"{dotted(func) or name}()"])
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in vocab.erase_methods:
            chain = chain_names(func.value)
            for item in chain:
                purged.update(assigned.get(item, ()))
            purged.update(chain)
            if any(self.person_subject(item) in ("person", "child") for item in chain[:1] + chain[-1:]):
                erase.append(["delete", f"{'.'.join(chain)}.{method}()"])
        if method in ("delete", "remove") and node.args and chain_names(func.value)[-1:] in (["session"], ["db"], ["sess"]):
            target = node.args[0].value
            if isinstance(target, cst.Name):
                purged.update(assigned.get(target.value, ()))
                purged.add(target.value)
                if self.person_subject(target.value) in ("person", "child"):
                    erase.append(["delete", f"{dotted(func)}({target.value})"])

    def _scan_class(self, info: ClassInfo, erase: List[List[str]], model_names: Set[str]) -> None:
        vocab = self.vocabulary
        tails = {base.rsplit(".", 1)[-1] for base in info.bases}
        if tails & vocab.destroy_bases:
            subject = self._class_subject(info)
            if subject in ("person", "child"):
                erase.append(["delete", f"the {info.name} view deletes records"])
        # ModelAdmin subclasses registered with @admin.register(User)
        for decorator in info.decorators:
            if isinstance(decorator, cst.Call) and (dotted(decorator.func) or "") in vocab.admin_register:
                for arg in decorator.args:
                    model = (dotted(arg.value) or "").rsplit(".", 1)[-1]
                    if self.person_subject(model) in ("person", "child"):
                        erase.append(["delete", f"the admin for {model}"])
        if any(t.endswith("UserAdmin") for t in tails):
            erase.append(["delete", f"the admin {info.name}"])

    def _class_subject(self, info: ClassInfo) -> Optional[str]:
        for attribute in ("model", "queryset", "serializer_class"):
            value = self.entries.class_attribute(info, attribute)
            for item in chain_names(value) if value is not None else ():
                subject = self.person_subject(item.replace("Serializer", ""))
                if subject is not None:
                    return subject
        return self.person_subject(info.name.replace("ViewSet", "").replace("View", "").replace("Delete", ""))

    def _scan_module_calls(self, erase: List[List[str]]) -> None:
        """`admin.site.register(User, UserAdmin)` at module level."""
        vocab = self.vocabulary
        for statement in getattr(self.ctx.module, "body", ()):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    if (dotted(small.value.func) or "") in vocab.admin_register and small.value.args:
                        model = (dotted(small.value.args[0].value) or "").rsplit(".", 1)[-1]
                        if self.person_subject(model) in ("person", "child"):
                            erase.append(["delete", f"the admin for {model}"])


# -- purchases by users who may be children (COP209) ------------------------------

FACT_PURCHASE = "rights.purchase"
FACT_SELLS = "rights.sells"


class _Payment:
    def __init__(self, body: dict) -> None:
        self.id = body["id"]
        self.label = body["label"]
        self.modules = tuple(body.get("modules", ()))
        self.calls = frozenset(body.get("calls", ()))
        self.methods = tuple(body.get("methods", ()))


class CommerceVocabulary:
    """data/commerce.toml."""

    def __init__(self, data: dict) -> None:
        self.payments = tuple(_Payment(body) for body in data["payment"])
        self.store_receipts = frozenset(data["store-receipts"])
        self.store_receipt_methods = tuple(data["store-receipt-methods"])
        self.store_receipt_modules = tuple(data["store-receipt-modules"])
        self.currency_words = frozenset(data["currency-words"])
        self.wallet_words = frozenset(data["wallet-words"])
        self.balance_words = frozenset(data["balance-words"])
        self.spend_verbs = frozenset(data["spend-verbs"])
        self.purchase_words = frozenset(data["purchase-words"])
        self.limit_words = frozenset(data["limit-words"])
        self.spend_words = frozenset(data["spend-words"])
        self.limit_alone = frozenset(data["limit-alone"])
        self.approval_words = frozenset(data["approval-words"])
        self.approval_phrases = tuple(tuple(p) for p in data["approval-phrases"])
        self.adult_words = frozenset(data["adult-words"])
        self.webhook_words = frozenset(data["webhook-words"])
        self.webhook_calls = frozenset(data["webhook-calls"])
        self.staff_words = frozenset(data["staff-words"])
        self.refund_words = frozenset(data["refund-words"])
        self.random_calls = frozenset(data["random-calls"])
        self.reward_words = frozenset(data["reward-words"])
        self.random_handler_words = frozenset(data["random-handler-words"])
        modules = {m.lower() for p in self.payments for m in p.modules} | {m.lower() for m in self.store_receipt_modules}
        # Matched against the lower-cased source: a case-sensitive search of lower-case
        # text is about 2.5 times faster than re.IGNORECASE on the original.
        self.trigger = re.compile(
            r"\b(?:"
            + "|".join(sorted(re.escape(w.lower()) for w in modules | self.currency_words | self.wallet_words))
            + r")"
        )

    def is_currency(self, owner_words: Sequence[str], words: Sequence[str]) -> bool:
        """`coins`, `gem_balance`, `wallet.balance`: a field holding virtual currency."""
        if set(words) & self.currency_words:
            return True
        return bool(set(words) & self.balance_words) and bool((set(words) | set(owner_words)) & self.wallet_words)

    def limits_spending(self, words: Sequence[str]) -> bool:
        """`spend_limit`, `MAX_PURCHASE_AMOUNT`, `within_allowance`."""
        found = set(words)
        return bool(found & self.limit_alone) or (bool(found & self.limit_words) and bool(found & self.spend_words))

    def approval(self, words: Sequence[str], parent_words: FrozenSet[str]) -> bool:
        """`parent_approved`, `request_guardian_approval`, `ask_to_buy`."""
        found = set(words)
        return (bool(found & self.approval_words) and bool(found & parent_words)) or _has_phrase(words, self.approval_phrases)


@lru_cache(maxsize=1)
def commerce_vocabulary() -> CommerceVocabulary:
    return CommerceVocabulary(load_data("commerce.toml"))


def _text_words(text: str) -> List[str]:
    out: List[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", text):
        if part:
            out.extend(split_words(part))
    return out


def _identifier_words(node: cst.CSTNode) -> List[str]:
    """Words of every name, attribute and identifier-like string under `node`."""
    out: List[str] = []
    for child in _walk_nodes(node):
        if isinstance(child, cst.Name):
            out.extend(split_words(child.value))
        elif isinstance(child, cst.Attribute):
            out.extend(split_words(child.attr.value))
        elif isinstance(child, cst.SimpleString):
            out.extend(_text_words(string_value(child) or ""))
    return out


class _Purchase:
    def __init__(self, node: cst.CSTNode, kind: str, what: str, sdk: str = "") -> None:
        self.node = node
        self.kind = kind  # "charge" | "currency"
        self.what = what
        self.sdk = sdk


class CommerceAnalysis(Analysis):
    """Request handlers that charge money or spend virtual currency, for COP209.

    A handler (analysis/entrypoints.py) charges money when it, or a helper of
    the same file it calls, starts a charge with a catalogued payment SDK
    (`stripe.PaymentIntent.create`, `gateway.transaction.sale`); it spends
    virtual currency when it debits a coin, gem or wallet balance
    (`user.coins -= price`, `.update(gems=F("gems") - cost)`, `spend_coins(...)`)
    and is named for a purchase. Recorded as `rights.purchase` facts unless
    the handler is not a child's purchase (a webhook, a refund, an admin or
    staff handler, one whose payer is a parent or adult) or checks a parent's
    approval or a spend limit; a paid handler that picks a random reward is
    recorded whatever it checks, as a loot box. `rights.sells` says the file
    takes money at all (any payment call, or an app-store receipt check), so a
    virtual currency is one bought with money.
    """

    requires = (EntryPointAnalysis, GuardAnalysis)
    prefilter = None  # cheap: a regex over the source decides whether there is anything to do

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = commerce_vocabulary()
        self.rights = rights_vocabulary()

    @property
    def entries(self) -> EntryPointAnalysis:
        return self.ctx.analysis(EntryPointAnalysis)

    @property
    def guards(self) -> GuardAnalysis:
        return self.ctx.analysis(GuardAnalysis)

    def finish(self) -> None:
        if is_test_or_migration(self.ctx.path) or not self.vocabulary.trigger.search(self.ctx.source_lower):
            return
        self.module = module_name(self.ctx.path)
        heads = {v.lstrip(".").split(".", 1)[0] for v in self.ctx.imports.bindings.values()}
        self._payments = [p for p in self.vocabulary.payments if heads & set(p.modules)]
        self._receipts = bool(heads & set(self.vocabulary.store_receipt_modules))
        sells = self._sells()
        if sells is not None:
            self.ctx.record(FACT_SELLS, sells[0], module=self.module, text=sells[1])
        for entry in self.entries.entry_points:
            if entry.function is not None:
                self._entry(entry)

    # -- what takes money ------------------------------------------------------------
    def _resolved(self, func: cst.BaseExpression) -> str:
        return (self.ctx.imports.resolve(func) or dotted(func) or "").replace("()", "")

    def _charge(self, call: cst.Call) -> Optional[_Purchase]:
        resolved = self._resolved(call.func)
        spelled = dotted(call.func) or resolved
        chain = ".".join(chain_names(call.func))
        for payment in self.vocabulary.payments:
            if resolved in payment.calls:
                return _Purchase(call, "charge", f"{spelled}(...)", payment.label)
            if payment in self._payments and any(chain == m or chain.endswith("." + m) for m in payment.methods):
                return _Purchase(call, "charge", f"{spelled}(...)", payment.label)
        return None

    def _sells(self) -> Optional[Tuple[cst.CSTNode, str]]:
        if not self._payments and not self._receipts:
            return None
        vocab = self.vocabulary
        scopes = [self.ctx.module, *self.entries.functions.values()]
        for node in (n for scope in scopes for n in _walk_nodes(scope)):
            if not isinstance(node, cst.Call):
                continue
            charge = self._charge(node)
            if charge is not None:
                return node, charge.what
            resolved = self._resolved(node.func)
            chain = ".".join(chain_names(node.func))
            if resolved in vocab.store_receipts or (
                self._receipts and any(chain.endswith(m) for m in vocab.store_receipt_methods)
            ):
                return node, f"{dotted(node.func) or resolved}(...)"
        return None

    def _debit(self, node: cst.CSTNode, purchase_handler: bool) -> Optional[_Purchase]:
        vocab = self.vocabulary
        if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.SubtractAssign):
            if purchase_handler and self._currency_target(node.target):
                return _Purchase(node, "currency", f"{_source(node.target)} -= {_source(node.value)}")
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.BinaryOperation) and isinstance(
            node.value.operator, cst.Subtract
        ):
            for target in node.targets:
                if purchase_handler and self._currency_target(target.target):
                    return _Purchase(node, "currency", f"{_source(target.target)} = {_source(node.value)}")
        elif isinstance(node, cst.Call):
            name = _last_name(node.func) or ""
            words = split_words(name)
            owner = chain_names(node.func)[:-1]
            owner_words = [w for part in owner for w in split_words(part)]
            if words and words[0] in vocab.spend_verbs and (
                set(words[1:]) & (vocab.currency_words | vocab.wallet_words)
                or (set(owner_words) & (vocab.currency_words | vocab.wallet_words) and len(words) == 1)
            ):
                return _Purchase(node, "currency", f"{dotted(node.func) or name}(...)")
            if purchase_handler and name in ("update", "filter_update"):
                for arg in node.args:
                    if arg.keyword is not None and isinstance(arg.value, cst.BinaryOperation) and isinstance(
                        arg.value.operator, cst.Subtract
                    ) and vocab.is_currency([], split_words(arg.keyword.value)):
                        return _Purchase(node, "currency", f"{dotted(node.func) or name}({arg.keyword.value}=...)")
        return None

    def _currency_target(self, target: cst.BaseExpression) -> bool:
        if isinstance(target, cst.Attribute):
            owner = [w for part in chain_names(target.value) for w in split_words(part)]
            return self.vocabulary.is_currency(owner, split_words(target.attr.value))
        if isinstance(target, cst.Subscript):
            key = None
            for element in target.slice:
                if isinstance(element.slice, cst.Index):
                    key = string_value(element.slice.value)
            owner = [w for part in chain_names(target.value) for w in split_words(part)]
            return key is not None and self.vocabulary.is_currency(owner, split_words(key))
        return False

    # -- one handler -------------------------------------------------------------------
    def _functions(self, function: cst.FunctionDef) -> List[cst.FunctionDef]:
        """The handler and the helpers of this file it calls (three calls deep)."""
        out: List[cst.FunctionDef] = []
        todo = [(function, 0)]
        while todo:
            current, depth = todo.pop(0)
            if any(current is f for f in out):
                continue
            out.append(current)
            if depth >= 3:
                continue
            for node in _walk_nodes(current.body):
                if isinstance(node, cst.Call):
                    spelled = dotted(node.func) or ""
                    helper = self.entries.functions.get(spelled)
                    if helper is None and spelled.startswith(("self.", "cls.")):
                        tail = "." + spelled.split(".", 1)[1]
                        matches = [f for q, f in self.entries.functions.items() if q.endswith(tail)]
                        helper = matches[0] if len(matches) == 1 else None
                    if helper is not None:
                        todo.append((helper, depth + 1))
        return out

    def _context_words(self, entry) -> Set[str]:
        """Who the handler is for: its name, class, route, decorators, file, and the tests it makes."""
        words: Set[str] = set()
        for part in entry.qualname.split("."):
            words.update(split_words(part))
        if entry.class_info is not None:
            for base in entry.class_info.bases:
                words.update(split_words(base.rsplit(".", 1)[-1]))
        for expr in (*entry.decorators, *entry.dependencies, *entry.permissions):
            words.update(_identifier_words(expr))
        path = self.ctx.path.replace("\\", "/").rsplit(".", 1)[0]
        words.update(_text_words(path))
        return words

    def _entry(self, entry) -> None:
        vocab, rights = self.vocabulary, self.rights
        function = entry.function
        context = self._context_words(entry)
        if context & (vocab.webhook_words | vocab.staff_words | vocab.refund_words):
            return
        functions = self._functions(function)
        tested: List[str] = []  # words of the handler's tests (`if not user.is_parent: abort(403)`), not of its guards
        names: List[str] = []  # words of every name the handler and its helpers use
        calls: List[cst.Call] = []
        nodes: List[cst.CSTNode] = []
        for current in functions:
            for statement in self.guards.index(current).statements:
                if isinstance(statement, (cst.If, cst.While)):
                    words = _identifier_words(statement.test)
                    if not (vocab.limits_spending(words) or vocab.approval(words, rights.parent_words)):
                        tested.extend(words)
                for part in _header_parts(statement):
                    for node in _walk_nodes(part):
                        nodes.append(node)
                        if isinstance(node, cst.Call):
                            calls.append(node)
                        if isinstance(node, cst.Assert):
                            tested.extend(_identifier_words(node.test))
                        if isinstance(node, cst.Name):
                            names.extend(split_words(node.value))
                        elif isinstance(node, cst.Attribute):
                            names.extend(split_words(node.attr.value))
        if any(self._resolved(call.func) in vocab.webhook_calls for call in calls):
            return
        if (set(tested) | context) & (rights.parent_words | vocab.adult_words | vocab.staff_words):
            return
        purchase_handler = bool(context & (vocab.purchase_words | vocab.random_handler_words))
        found: Optional[_Purchase] = None
        for node in nodes:
            found = (self._charge(node) if isinstance(node, cst.Call) else None) or self._debit(node, purchase_handler)
            if found is not None:
                break
        if found is None:
            return
        if found.kind == "charge":
            payer = [w for arg in found.node.args for w in _identifier_words(arg.value)]
            if set(payer) & (rights.parent_words | vocab.adult_words):
                return
        for guard in self.guards.function_guards(function, entry) + self.guards.guards_in(function):
            if guard.kind == AGE and guard.threshold is not None and guard.threshold >= rights.child_threshold_below:
                return
            if guard.kind == AGE and set(_identifier_words(guard.node)) & vocab.adult_words:
                return
        guarded = self._guard(functions, entry, names)
        loot = self._loot_box(functions, context)
        if guarded and loot is None:
            return
        self.ctx.record(
            FACT_PURCHASE, found.node, module=self.module, handler=entry.label, purchase=found.kind, what=found.what,
            sdk=found.sdk, loot=loot or "", guarded=guarded,
        )

    def _guard(self, functions: List[cst.FunctionDef], entry, names: List[str]) -> str:
        """The parental approval or spend limit the handler checks, "" if none."""
        vocab = self.vocabulary
        for current in functions:
            guards = self.guards.guards_in(current) + self.guards.function_guards(current)
            for guard in guards:
                if guard.kind == CONSENT:
                    return guard.text
        applied = [w for expr in (*entry.decorators, *entry.dependencies, *entry.permissions)
                   for w in _identifier_words(expr)]
        for current in functions:
            for node in _walk_nodes(current.body):
                name = None
                if isinstance(node, cst.Name):
                    name = node.value
                elif isinstance(node, cst.Attribute):
                    name = node.attr.value
                if name:
                    words = split_words(name)
                    if vocab.limits_spending(words) or vocab.approval(words, self.rights.parent_words):
                        return name
        if vocab.limits_spending(applied) or vocab.approval(applied, self.rights.parent_words):
            return "a decorator"
        return ""

    def _loot_box(self, functions: List[cst.FunctionDef], context: Set[str]) -> Optional[str]:
        """`random.choice(REWARDS)` in a paid handler: the text of the pick, or None."""
        vocab = self.vocabulary
        handler_random = bool(context & vocab.random_handler_words)
        for current in functions:
            for statement in self.guards.index(current).statements:
                for part in _header_parts(statement):
                    targets: List[str] = []
                    if isinstance(part, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                        for t in getattr(part, "targets", ()) or ():
                            targets.extend(_identifier_words(t.target))
                        if hasattr(part, "target"):
                            targets.extend(_identifier_words(part.target))
                    for node in _walk_nodes(part):
                        if not isinstance(node, cst.Call):
                            continue
                        resolved = (self.ctx.imports.resolve(node.func) or "")
                        if resolved not in vocab.random_calls and resolved.replace("()", "") not in vocab.random_calls:
                            continue
                        args = [w for arg in node.args for w in _identifier_words(arg.value)]
                        if any(
                            (dotted(arg.value) or "").startswith("string.") or isinstance(arg.value, cst.SimpleString)
                            for arg in node.args
                        ):
                            continue
                        if handler_random or set(args + targets) & vocab.reward_words:
                            return f"{dotted(node.func) or resolved}({_source(node.args[0].value) if node.args else ''})"
        return None


def _source(node: cst.CSTNode) -> str:
    text = cst.Module(body=[]).code_for_node(node)
    return text if len(text) <= 60 else text[:57] + "..."
