"""COP204-COP208: a parent's rights over a child's data, and data a child should never have to give.

Where COP201-COP203 ask whether a service knows a user's age and has a
parent's consent before collecting, these rules ask what happens around that:

* COP204 (project): the code knows it has child users, yet nothing deletes a
  user's record, so a parent's request to delete the child's data (COPPA
  312.6) and the end of retention (312.10) have no code path.
* COP205 (project): a consent request keeps the parent's contact details, and
  nothing ever deletes them when the parent does not answer (312.5(c)(1)).
* COP206: a sign-up, a child's form or a contest entry makes data an account
  does not need mandatory: a phone number, a home address, a photo, a school
  (312.7; data minimisation in the UK and California codes).
* COP207: a handler stores a parent's contact to ask for consent and never
  sends the parent anything, so there is no direct notice (312.4).
* COP208: what an age check looked at (a selfie, an ID document, a document
  number) is stored after the check instead of discarded (DSA 28(3), CA AADC
  1798.99.31(b)(8)).
* COP209 (project): the code knows it has child users, and a request handler
  charges money or spends virtual currency bought with it with no parent's
  approval or spend limit, or sells a random reward (a loot box): the
  Commission's DSA Art. 28 guidelines on commercial practices.

The child-user evidence, deletion, consent-record and purchase facts come
from analysis/rights.py; schemas and handlers from analysis/entrypoints.py and
analysis/collection.py; the vocabulary is data (`data/rights.toml`, `data/commerce.toml`).
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..analysis.collection import CREATE, SESSION, CollectionAnalysis
from ..analysis.entrypoints import ClassInfo, EntryPointAnalysis, string_list, string_value
from ..analysis.flow import Datum, _vocabulary_for
from ..analysis.guards import GuardAnalysis, _header_parts, _last_name, _walk_nodes
from ..analysis.names import split_words
from ..analysis.rights import (
    FACT_CHILDREN, FACT_CONSENT_RECORD, FACT_ERASE, FACT_PURCHASE, FACT_PURGE, FACT_SELLS, CommerceAnalysis,
    RightsAnalysis, class_fields, is_test_or_migration, rights_vocabulary,
)
from ..findings import Confidence, Severity
from ..imports import dotted
from ..rule import ProjectFinding, ProjectRule, Rule

_EVIDENCE_ORDER = {"model": 0, "consent-record": 1, "consent-check": 2, "consent-request": 3, "age-threshold": 4}


def _and(items: Sequence[str], limit: int = 4) -> str:
    items = list(dict.fromkeys(items))
    shown = items[:limit]
    if len(items) > limit:
        shown.append(f"{len(items) - limit} more")
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


# -- COP204 ----------------------------------------------------------------------------


class NoChildDataDeletion(ProjectRule):
    """A service with child users and no code path that deletes a user's data.

    Child users are known from the code itself: a model named for a child, a
    parental-consent check or request, or an age comparison under 18 that
    lets younger users in. A deletion path is any code that deletes or
    anonymises a person's record (`user.delete()`, `db.session.delete(child)`,
    `User.objects.filter(...).delete()`, a `delete_account` or
    `anonymize_user` function or call, a destroy view or viewset for a
    person's model, a Django admin registered for one). One finding per
    project, at the first piece of evidence.
    """

    code = "COP204"
    name = "no-child-data-deletion"
    summary = "The service has child users, but no code path deletes or anonymises a user's data"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("COPPA-312.6", "COPPA-312.10", "CA-AADC-A10", "UK-AADC-15")
    requires = (RightsAnalysis,)

    def check(self, project) -> Iterable[ProjectFinding]:
        evidence = sorted(
            project.facts(FACT_CHILDREN),
            key=lambda f: (_EVIDENCE_ORDER.get(f.get("evidence"), 9), f.path, f.line, f.column),
        )
        if not evidence:
            return
        items = [tuple(item) for fact in project.facts(FACT_ERASE) for item in fact.get("items") or ()]
        if any(kind == "delete" for kind, _ in items):
            return
        revokes = [what for kind, what in items if kind == "revoke"]
        first = evidence[0]
        others = [f.get("text") for f in evidence[1:3] if f.get("text") != first.get("text")]
        also = f" (also {_and(others)})" if others else ""
        if revokes:
            revocation = (f"a parent can withdraw consent ({_and(revokes, 2)}), but nothing then deletes the "
                          f"child's data")
        else:
            revocation = "and there is no way for a parent to withdraw consent either"
        yield ProjectFinding.at(
            first,
            f"{first.get('text')} shows this service has child users{also}, but no code deletes or anonymises a "
            f"user's account or data, {revocation}. A parent has the right to review their child's data, stop "
            f"its further use and have it deleted, and a child's data must not be kept longer than needed: add a "
            f"deletion path a parent can trigger (a delete-account endpoint or an admin action) that removes the "
            f"child's record and the data that hangs off it, and a way to withdraw consent",
        )


# -- COP205 ----------------------------------------------------------------------------


class ParentContactNeverPurged(ProjectRule):
    """A consent request's parent contact details that nothing ever deletes.

    The request record is a model with a consent word in its name or fields
    and a parent's contact field (`ParentalConsent.parent_email`). It counts
    as purged when some code of the project deletes records of that model
    (`ParentalConsent.query.filter(...).delete()`, `db.session.delete(consent)`
    with `consent` loaded from it) or clears the contact field
    (`consent.parent_email = None`).
    """

    code = "COP205"
    name = "parent-contact-never-purged"
    summary = "A consent request keeps the parent's contact details, and nothing deletes them if consent never comes"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("COPPA-312.5.C", "COPPA-312.10")
    requires = (RightsAnalysis,)

    def check(self, project) -> Iterable[ProjectFinding]:
        purged: Set[str] = set()
        cleared: Set[str] = set()
        for fact in project.facts(FACT_PURGE):
            purged.update(fact.get("models") or ())
            cleared.update(fact.get("fields") or ())
        for fact in project.facts(FACT_CONSENT_RECORD):
            model = fact.get("model")
            fields = list(fact.get("fields") or ())
            if model in purged or set(fields) & cleared:
                continue
            yield ProjectFinding.at(
                fact,
                f"{model} keeps a parent's contact details ({_and(fields)}) for a consent request, but no code "
                f"deletes {model} records or clears {fields[0]}: the contact details a child gives to reach a "
                f"parent may be kept only while consent is being sought. Delete requests that are denied or not "
                f"answered in time (a scheduled purge of expired {model} rows), and keep only the parent's "
                f"decision once it is made",
            )


# -- COP206 ----------------------------------------------------------------------------


class ExcessRequiredFields(Rule):
    """A sign-up, a child's form or a contest entry that requires data an account does not need.

    A field is required when the framework makes it so: a Django form field
    unless `required=False`; a WTForms field with a `DataRequired` or
    `InputRequired` validator; a DRF serializer field unless `required=False`,
    `read_only=True` or a `default`; a model field listed in a ModelForm's or
    ModelSerializer's `Meta.fields` (model in the same file) unless
    `blank=True` (or, for DRF, `null=True` or a default), or made optional in
    `extra_kwargs`; a Pydantic field with no default whose type does not
    allow None. Data an account does not need is a data file's list: phone
    number, home or postal address, postcode, photo or recording, school,
    precise location, government identifier, health data. A parent's contact
    details are not counted (they are how consent is asked).
    """

    code = "COP206"
    name = "excess-required-fields"
    summary = "A sign-up, child's form or contest entry makes personal data an account does not need mandatory"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("COPPA-312.7", "UK-AADC-8", "CA-AADC-B3", "KH-COP-4.2")
    requires = (EntryPointAnalysis, GuardAnalysis, CollectionAnalysis, RightsAnalysis)

    def finish(self) -> None:
        if is_test_or_migration(self.ctx.path):
            return
        entries = self.ctx.analysis(EntryPointAnalysis)
        collection = self.ctx.analysis(CollectionAnalysis)
        rights = self.ctx.analysis(RightsAnalysis)
        vocab = rights_vocabulary()
        audience = self.ctx.settings.audience
        models = {info.name: info for info in rights.models()}
        wtforms = any(v.split(".", 1)[0] in ("wtforms", "flask_wtf") for v in self.ctx.imports.bindings.values())
        for info in entries.classes.values():
            role = info.role or ("form" if wtforms and any(_is_wtform_base(b) for b in info.bases) else "")
            if role not in ("form", "serializer", "pydantic"):
                continue
            subject = collection.schema_subject(info)
            if subject == "adult":
                continue
            if subject == "child":
                purpose = "a child's"
            elif vocab.is_contest(info.name):
                purpose = "the contest entry"
            elif vocab.is_signup(info.name, info.bases):
                purpose = "the sign-up"
            else:
                continue
            if audience == "general" and subject != "child":
                continue
            excess: List[Tuple[str, cst.CSTNode, Datum]] = []
            for name, node in _required_fields(info, role, models, wtforms):
                for datum in collection.field_data(name, subject or "person", f"{info.name}.{name}"):
                    if _is_excess(datum, name, vocab):
                        excess.append((name, node, datum))
                        break
            if not excess:
                continue
            what = _and([f"{d.label} ({name})" for name, _, d in excess])
            form = f"{purpose} form {info.name}" if purpose == "a child's" else f"{purpose} form {info.name}"
            self.report(
                excess[0][1],
                f"{form} makes {what} mandatory: a child must not have to hand over more personal data than the "
                f"account or activity needs, and each extra field is more to leak and to keep. Make these fields "
                f"optional (`required=False`, `blank=True`, `Optional[...] = None`) or drop them, and ask later, "
                f"with a reason, only where a feature really needs them",
            )


def _is_excess(datum: Datum, name: str, vocab) -> bool:
    if datum.subject == "adult" or vocab.is_parental(name):
        return False
    if datum.category in vocab.excess_categories:
        return True
    if datum.label not in vocab.excess_labels:
        return False
    words = set(split_words(name))
    if datum.label == "postal address" and words & vocab.not_address_words and not words & {"address", "street", "addr"}:
        return False
    return True


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _is_false(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def _is_true(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _field_call(value: Optional[cst.BaseExpression]) -> Optional[cst.Call]:
    if isinstance(value, cst.Call):
        name = _last_name(value.func) or ""
        if name.endswith("Field") or name.endswith("Serializer"):
            return value
    return None


def _form_field_required(call: cst.Call, wtforms: bool) -> bool:
    if wtforms:
        validators = _keyword(call, "validators")
        if validators is None and len(call.args) > 1 and call.args[1].keyword is None:
            validators = call.args[1].value
        if validators is None:
            return False
        vocab = rights_vocabulary()
        return any(
            isinstance(n, (cst.Name, cst.Attribute)) and (_last_name(n) or "") in vocab.wtforms_required
            for n in _walk_nodes(validators)
        )
    required = _keyword(call, "required")
    return required is None or _is_true(required)


def _serializer_field_required(call: cst.Call) -> bool:
    required = _keyword(call, "required")
    if required is not None:
        return _is_true(required)
    return not (_is_true(_keyword(call, "read_only")) or _keyword(call, "default") is not None)


def _allows_none(annotation: Optional[cst.BaseExpression]) -> bool:
    if annotation is None:
        return False
    for node in _walk_nodes(annotation):
        if isinstance(node, cst.Name) and node.value in ("None", "Optional"):
            return True
        if isinstance(node, cst.Attribute) and node.attr.value == "Optional":
            return True
    return False


def _pydantic_required(value: Optional[cst.BaseExpression], annotation: Optional[cst.BaseExpression]) -> bool:
    if _allows_none(annotation):
        return False
    if value is None or isinstance(value, cst.Ellipsis):
        return True
    if isinstance(value, cst.Call) and (_last_name(value.func) or "") == "Field":
        if _keyword(value, "default") is not None or _keyword(value, "default_factory") is not None:
            return False
        positional = [a for a in value.args if a.keyword is None]
        return not positional or isinstance(positional[0].value, cst.Ellipsis)
    return False


def _model_field_required(call: cst.Call, serializer: bool) -> bool:
    name = _last_name(call.func) or ""
    if not name.endswith("Field") or name in ("AutoField", "BigAutoField", "BooleanField", "ManyToManyField"):
        return False
    if _is_true(_keyword(call, "blank")) or _is_false(_keyword(call, "editable")):
        return False
    if any(_is_true(_keyword(call, k)) for k in ("auto_now", "auto_now_add")):
        return False
    if serializer and (_is_true(_keyword(call, "null")) or _keyword(call, "default") is not None):
        return False
    return True


def _optional_extra(info: ClassInfo) -> Set[str]:
    """Fields a ModelSerializer's `extra_kwargs` makes optional or read-only."""
    out: Set[str] = set()
    extra = info.meta.get("extra_kwargs")
    if isinstance(extra, cst.Dict):
        for element in extra.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.value, cst.Dict):
                key = string_value(element.key)
                for inner in element.value.elements:
                    if isinstance(inner, cst.DictElement):
                        option = string_value(inner.key)
                        if (option == "required" and _is_false(inner.value)) or (
                            option in ("read_only", "allow_null") and _is_true(inner.value)
                        ):
                            out.add(key or "")
    return out


def _is_wtform_base(base: str) -> bool:
    """WTForms forms (`FlaskForm`, `wtforms.Form`), which the entry-point analysis does not model."""
    return base.split(".", 1)[0] in ("flask_wtf", "wtforms") or base.rsplit(".", 1)[-1] == "FlaskForm"


def _required_fields(info: ClassInfo, role: str, models: Dict[str, ClassInfo],
                     wtforms: bool) -> List[Tuple[str, cst.CSTNode]]:
    out: List[Tuple[str, cst.CSTNode]] = []
    declared: Set[str] = set()
    for name, node, value, annotation in class_fields(info.node):
        declared.add(name)
        if role == "pydantic":
            if isinstance(node, cst.AnnAssign) and _pydantic_required(value, annotation):
                out.append((name, node))
            continue
        call = _field_call(value)
        if call is None:
            continue
        if role == "form" and _form_field_required(call, wtforms):
            out.append((name, node))
        elif role == "serializer" and _serializer_field_required(call):
            out.append((name, node))
    model_expr = info.meta.get("model")
    model = models.get((dotted(model_expr) or "").rsplit(".", 1)[-1]) if model_expr is not None else None
    if model is None or role == "pydantic":
        return out
    listed = info.meta.get("fields")
    names = string_list(listed) if listed is not None else ()
    all_fields = string_value(listed) == "__all__" if listed is not None else False
    excluded = set(string_list(info.meta.get("exclude"))) | set(string_list(info.meta.get("read_only_fields")))
    excluded |= _optional_extra(info)
    for name, node, value, _ in class_fields(model.node):
        if name in declared or name in excluded or not (all_fields or name in names):
            continue
        if isinstance(value, cst.Call) and _model_field_required(value, role == "serializer"):
            out.append((name, node))
    return out


# -- COP207 ----------------------------------------------------------------------------


class NoDirectNoticeToParent(Rule):
    """A consent flow that stores a parent's contact and never sends the parent anything.

    Reported at the store when the handler (a sign-up or a consent request:
    a consent or parent word in the record's or the handler's name, or an
    anonymous sign-up) stores a parent's contact details and no call in the
    handler, or in a helper of the same file it calls, sends anything: a
    call named for sending (`send_*`, `notify_*`, `email_*`, `*_mail`,
    `*_notification`, `send_mail`, `EmailMessage`, a Celery task of such a
    name through `.delay`), or a consent request (`send_consent_request`).
    A helper in another file counts when its name says it sends.
    """

    code = "COP207"
    name = "no-direct-notice-to-parent"
    summary = "A parent's contact is stored for consent, but the parent is never sent a notice"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("COPPA-312.4",)
    requires = (EntryPointAnalysis, GuardAnalysis, CollectionAnalysis)

    def finish(self) -> None:
        if is_test_or_migration(self.ctx.path):
            return
        entries = self.ctx.analysis(EntryPointAnalysis)
        guards = self.ctx.analysis(GuardAnalysis)
        collection = self.ctx.analysis(CollectionAnalysis)
        vocab = rights_vocabulary()
        for entry in entries.entry_points:
            function = entry.function
            if function is None:
                continue
            consent_flow = any(
                "consent" in guards.vocabulary.name_kinds(text) or vocab.is_parental(text)
                for text in (entry.qualname,)
            )
            for site in collection.entry_sites(entry):
                if site.operation == SESSION:
                    continue
                contacts = [
                    d for d in site.data
                    if d.category == "contact" and d.subject == "adult" and vocab.is_parental(d.origin or d.label)
                ]
                if not contacts:
                    continue
                record_flow = "consent" in guards.vocabulary.name_kinds(site.record) or vocab.is_parental(site.record)
                signup = site.operation == CREATE and not entry.authenticated
                if not (consent_flow or record_flow or signup):
                    continue
                if _sends(function, entries, guards, vocab, depth=0, seen=set()):
                    continue
                labels = _and([d.origin.rsplit(".", 1)[-1] if d.origin else d.label for d in contacts], 2)
                self.report(
                    site.node,
                    f"{entry.label} stores a parent's contact details ({labels}, {site.how}) to ask for consent, "
                    f"but never sends the parent anything: the parent must get a direct notice saying what data "
                    f"the service wants from their child, why, who receives it, and how to consent or refuse. "
                    f"Send it from this flow (an email or a queued task such as send_consent_request.delay(...)), "
                    f"and delete the contact details if the parent does not answer",
                )
                break


def _call_name(call: cst.Call, vocab) -> Optional[str]:
    func = call.func
    name = _last_name(func)
    if name in vocab.task_wrappers and isinstance(func, cst.Attribute):
        inner = func.value
        return _last_name(inner) if isinstance(inner, (cst.Name, cst.Attribute, cst.Call)) else name
    return name


def _sends(function: cst.FunctionDef, entries: EntryPointAnalysis, guards: GuardAnalysis, vocab, depth: int,
           seen: Set[int]) -> bool:
    """Whether the function, or a helper of this file it calls, sends something."""
    if id(function) in seen or depth > 3:
        return False
    seen.add(id(function))
    for statement in guards.index(function).statements:
        for part in _header_parts(statement):
            for node in _walk_nodes(part):
                if not isinstance(node, cst.Call):
                    continue
                name = _call_name(node, vocab)
                spelled = dotted(node.func)
                if vocab.sends(name) or vocab.sends(spelled):
                    return True
                if name and not name[:1].isupper() and guards.vocabulary.is_consent_request(name):
                    return True
                if spelled:
                    helper = entries.functions.get(spelled)
                    if helper is None and spelled.startswith("self."):
                        matches = [f for q, f in entries.functions.items() if q.endswith("." + spelled[5:])]
                        helper = matches[0] if len(matches) == 1 else None
                    if helper is not None and _sends(helper, entries, guards, vocab, depth + 1, seen):
                        return True
    return False


# -- COP208 ----------------------------------------------------------------------------


class AgeCheckDataKept(Rule):
    """What an age check looked at, stored after the check.

    An age check is a model, class or function named for one
    (`AgeVerification`, `verify_age`, `estimate_age`, `AgeCheck`). Its
    artefacts are selfies and face data, ID documents and their images and
    numbers, liveness videos: any field or value whose name says so, other
    than metadata about the check (`document_type`, `face_match_score`,
    `verified_at`). Reported: such a field on an age-check model (or a field
    whose own name says it is for the age check), and, in an age-check
    function, a call that saves such a value (`.save()`, `storage.save()`,
    `.write()`, `put_object`) or builds a record with it (`.create(selfie=...)`,
    `AgeCheck(id_image=...)`). Sending the image to an age-estimation service
    is not storing it.
    """

    code = "COP208"
    name = "age-check-data-kept"
    summary = "A selfie, ID document or other data an age check looked at is stored after the check"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("DSA-28.3", "CA-AADC-B8", "CA-AADC-B4", "UK-AADC-8")
    requires = (EntryPointAnalysis, GuardAnalysis, RightsAnalysis)

    def finish(self) -> None:
        if is_test_or_migration(self.ctx.path):
            return
        entries = self.ctx.analysis(EntryPointAnalysis)
        guards = self.ctx.analysis(GuardAnalysis)
        rights = self.ctx.analysis(RightsAnalysis)
        vocab = rights_vocabulary()
        names = _vocabulary_for(self.ctx.settings)

        def artefact(name: str) -> bool:
            match = names.classify(name, subject_hint="person")
            return vocab.is_artefact(name, match.category.id if match.category is not None else None)

        for info in rights.models():
            check_model = vocab.is_age_check(info.name, guards.vocabulary.name_kinds(info.name))
            found = [
                (name, node) for name, node, _, _ in class_fields(info.node)
                if artefact(name) and (check_model or vocab.is_age_check(name, guards.vocabulary.name_kinds(name)))
            ]
            if found:
                self.report(
                    found[0][1],
                    f"{info.name} stores {_and([n for n, _ in found])}, the data an age check looked at: once the "
                    f"check is done, keep only its outcome (over or under the age, the method, when), and delete "
                    f"the selfie or document. Keeping them adds identity documents and face images of children to "
                    f"what can leak, and invites using them for something else",
                )
        for qualname, function in entries.functions.items():
            owner = qualname.rsplit(".", 1)[0] if "." in qualname else ""
            if not any(vocab.is_age_check(n, guards.vocabulary.name_kinds(n)) for n in (function.name.value, owner) if n):
                continue
            stored = _stored_artefact(function, guards, vocab, artefact)
            if stored is not None:
                node, what = stored
                self.report(
                    node,
                    f"{qualname}() keeps {what} after checking the user's age: estimate or verify, then discard "
                    f"the image or document and store only the outcome (over or under the age, the method, "
                    f"when). A stored selfie or ID of a child is more to leak and may be reused for other purposes",
                )


def _names_in(node: cst.CSTNode) -> List[str]:
    out = []
    for child in _walk_nodes(node):
        if isinstance(child, cst.Name):
            out.append(child.value)
        elif isinstance(child, cst.Attribute):
            out.append(child.attr.value)
        elif isinstance(child, cst.SimpleString):
            text = string_value(child)
            if text and text.isidentifier():
                out.append(text)
    return out


def _stored_artefact(function: cst.FunctionDef, guards: GuardAnalysis, vocab, artefact) -> Optional[Tuple[cst.CSTNode, str]]:
    for statement in guards.index(function).statements:
        for part in _header_parts(statement):
            for node in _walk_nodes(part):
                if not isinstance(node, cst.Call):
                    continue
                name = _last_name(node.func) or ""
                for arg in node.args:
                    keyword = arg.keyword.value if arg.keyword is not None else None
                    if keyword and artefact(keyword) and (name in ("create", "update", "save", "get_or_create",
                                                                   "update_or_create") or name[:1].isupper()):
                        return node, keyword
                if name in vocab.store_methods and isinstance(node.func, cst.Attribute):
                    hits = [n for n in _names_in(node.func.value) + [x for a in node.args for x in _names_in(a.value)]
                            if artefact(n)]
                    if hits:
                        return node, hits[0]
    return None


# -- COP209 ----------------------------------------------------------------------------


class ChildPurchaseWithoutLimit(ProjectRule):
    """A purchase a child's account can make with no parent's approval and no spend limit.

    A service that knows it has child users (the evidence of COP204) and a
    request handler that starts a charge with a payment SDK, or debits a coin,
    gem or wallet balance in a purchase handler of a service that takes money
    (so the currency is bought with it), where nothing on the handler checks
    a parent's approval or a spend limit. Handlers that are not a child's
    purchase are left out: the provider's webhooks, refunds, admin and staff
    handlers, and handlers whose payer is a parent or an adult (named for
    one, tested for one, or 18+ gated). A paid handler that picks a random
    reward is reported whatever it checks: a loot box should not be sold to a
    child at all. One finding per handler, at the charge.
    """

    code = "COP209"
    name = "child-purchase-without-limit"
    summary = "A child's account can pay or spend bought currency with no parental approval or spend limit, or buy a loot box"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("DSA-28.GL-COMMERCIAL",)
    requires = (RightsAnalysis, CommerceAnalysis)

    def check(self, project) -> Iterable[ProjectFinding]:
        evidence = sorted(
            project.facts(FACT_CHILDREN),
            key=lambda f: (_EVIDENCE_ORDER.get(f.get("evidence"), 9), f.path, f.line, f.column),
        )
        if evidence:
            children = f"{evidence[0].get('text')} shows this service has child users"
        elif project.settings.audience == "children":
            children = "the service is configured for children (audience = \"children\")"
        else:
            return
        sells = project.facts(FACT_SELLS)
        for fact in project.facts(FACT_PURCHASE):
            handler, what, loot = fact.get("handler"), fact.get("what"), fact.get("loot")
            if fact.get("purchase") == "charge":
                how = f"charges the user through {fact.get('sdk')} ({what})"
            elif sells:
                how = (f"spends the user's virtual currency ({what}; the service sells it for money: "
                       f"{sells[0].get('text')})")
            else:
                continue
            if loot:
                yield ProjectFinding.at(
                    fact,
                    f"{handler} {how} and hands out a random reward ({loot}), and {children}: a paid random reward "
                    f"is a loot box, a gambling-like mechanic the Commission's DSA Art. 28 guidelines say minors "
                    f"must be protected from, whatever a parent approved. Do not sell random rewards to child "
                    f"accounts: sell the item itself, with its price, or make random rewards free",
                )
                continue
            yield ProjectFinding.at(
                fact,
                f"{handler} {how} with no parent's approval or spend limit on its path, and {children}: a child can "
                f"spend real money in a few taps, and the Commission's DSA Art. 28 guidelines ask services to "
                f"protect minors from unwanted spending. For child accounts, check a spend limit the parent sets "
                f"before charging, or turn the purchase into a request the parent approves (ask to buy)",
            )


PARENTAL_RIGHTS_RULES = (NoChildDataDeletion, ParentContactNeverPurged, ExcessRequiredFields, NoDirectNoticeToParent,
                         AgeCheckDataKept, ChildPurchaseWithoutLimit)
