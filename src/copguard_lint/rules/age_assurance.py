"""COP2xx: knowing a user's age, and a parent's consent, before collecting a child's data.

COPPA 312.5, the UK Children's Code (standard 3), GDPR Art. 8 and the
Cambodian guidelines' data-privacy area ask a service to know whether a user
is a child before collecting their personal data, and to have a parent's
verifiable consent before collecting a young child's. These rules read three
shared analyses: entry points (analysis/entrypoints.py), guards
(analysis/guards.py) and collection sites (analysis/collection.py).

Sign-up versus edits. A handler that creates a person's record for a caller
who is not signed in (a sign-up, a registration API) is where the age must
be established, so COP201 reports it when no age or consent guard holds
before the record is stored. A handler that changes the signed-in user's own
record (a profile edit) works for an account whose age was established when
it was created; it is reported only when it writes the age itself (date of
birth, birth year, age) with no guard, because then the age the sign-up
checked can be changed at will. Records owned by the signed-in user (a post,
a photo, an address), records of other people (an admin editing a learner)
and values kept in the session (a lookup email) are not reported. "Signed
in" means a login decorator, mixin, dependency or permission class other
than AllowAny on the handler; "owned" a record built or bound with the
signed-in user as a value (`owner=request.user`,
`kwargs["user"] = self.request.user`).

Audience. With `children` and `mixed` (the default) any user's data may be a
child's; with `general`, only data whose name or owner says it is a child's
(`child.date_of_birth`, `Child(...)` fields) counts for COP201. An adult's
data (a parent's email in a consent request) never counts. COP202 counts the
data of anyone but an adult whatever the audience: asking a parent for
consent afterwards shows the data is a child's. COP203 applies in every
audience: a service that checks ages must check them against the right age.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..literals import string_value
from ..analysis.collection import CREATE, SESSION, Collection, CollectionAnalysis
from ..analysis.entrypoints import FACT_SCHEMA, EntryPoint, EntryPointAnalysis
from ..analysis.flow import Datum, _vocabulary_for, absolute_callee, module_name
from ..analysis.guards import (
    AGE, CONSENT, GATE_KINDS, Guard, GuardAnalysis, Unresolved, _walk_nodes, find_project_summary, summary_gates,
    vocabulary_for,
)
from ..findings import Confidence, Severity, Span
from ..imports import dotted
from ..registry import is_selected
from ..rule import ProjectFinding, Rule

FACT_PENDING = "age-assurance.pending"
FACT_SCHEMA_USE = "age-assurance.schema-use"
_NOWHERE = Span(1, 1, 1, 1)


# -- shared wording ------------------------------------------------------------------


def counts_for(datum: Datum, audience: str) -> bool:
    """Whether a datum may be a child's under the configured audience (never an adult's)."""
    if datum.param >= 0 or datum.subject == "adult":
        return False
    if datum.subject == "child":
        return True
    return audience in ("children", "mixed")


def describe(data: Sequence[Datum], limit: int = 4, audience: str = "mixed") -> str:
    """`a child's first name and date of birth`, `personal data (email address, ...) of a user who may be a child`."""
    text = _labels(data, limit)
    owners = {d.subject for d in data}
    if owners == {"child"} or audience == "children":
        return f"a child's {text}"
    if "child" in owners:
        return f"personal data ({text}, including a child's)"
    return f"personal data ({text}) of a user who may be a child"


def _label_order(datum: Datum) -> Tuple[int, int, str]:
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}.get(datum.sensitivity, 4)
    return (0 if datum.category == "birth_date" else 1, rank, datum.label)


def _is_age_datum(datum: Datum, vocab) -> bool:
    return datum.category in vocab.age_data_categories and datum.label not in vocab.age_data_skip_labels


def _data_rows(data: Iterable[Datum]) -> List[list]:
    return [[d.label, d.category, d.sensitivity, d.subject, d.origin] for d in data]


def _data_from_rows(rows) -> List[Datum]:
    return [Datum(*row) for row in rows or ()]


class AgeAssuranceRule(Rule):
    """Base of the COP2xx rules."""

    requires = (EntryPointAnalysis, GuardAnalysis, CollectionAnalysis)

    @property
    def entries(self) -> EntryPointAnalysis:
        return self.ctx.analysis(EntryPointAnalysis)

    @property
    def guards(self) -> GuardAnalysis:
        return self.ctx.analysis(GuardAnalysis)

    @property
    def collection(self) -> CollectionAnalysis:
        return self.ctx.analysis(CollectionAnalysis)


# -- COP201 ---------------------------------------------------------------------------


class MissingAgeGate(AgeAssuranceRule):
    """Personal data collected at an entry point with no age gate on its path.

    Reported on the handler (the `def`, or the class of a generic create view),
    naming the data it stores and how. Sign-ups and other anonymous handlers
    need an age or parental-consent guard before they store personal data;
    signed-in edits need one only when they change the stored age itself (see
    the module docstring). Guards in a helper, decorator, dependency,
    permission class or form validation defined in another file are resolved
    in the project pass; flake8, which sees one file, stays quiet on those.
    """

    code = "COP201"
    name = "no-age-gate-before-collection"
    summary = "Personal data is collected at a request handler before the user's age is established"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-2.3", "KH-COP-4.2", "ITU-COP-FC.1", "UK-AADC-3", "COPPA-312.5", "GDPR-8.1", "CA-AADC-A5",
               "COPPA-312.2.DIRECTED", "DSA-28.GL-AGE", "COPPA-312.2.PI-COMBINED")

    def finish(self) -> None:
        settings = self.ctx.settings
        check_consent_order = is_selected(ConsentAfterCollection.code, settings.select, settings.ignore)
        module = module_name(self.ctx.path)
        package = self.ctx.path.replace("\\", "/").endswith("__init__.py")
        self._record_schema_uses(module, package)
        for entry in self.entries.entry_points:
            found = self.candidate(entry, check_consent_order)
            if found is None:
                continue
            data, sites, unresolved, schemas, edit = found
            # A form's or serializer's own save is reported only if no view in the project uses the class
            # (the view is where the gate belongs): decided in the project pass.
            own_schema = entry.class_info.qualname if entry.kind in ("form-save", "serializer-save") and entry.class_info else ""
            if not unresolved and not schemas and not own_schema:
                if data:
                    self.report(entry.anchor, self.message(entry, data, sites, edit))
                continue
            self.ctx.record(
                FACT_PENDING, entry.anchor, module=module, package=package, handler=entry.label,
                data=_data_rows(data), how=[s.how for s in sites][:3], edit=edit,
                unresolved=[[u.callee, u.how] for u in unresolved], schemas=sorted(schemas),
                consent_age=settings.consent_age, own_schema=own_schema, audience=settings.audience,
            )

    def _record_schema_uses(self, module: str, package: bool) -> None:
        """Which form and serializer classes the handlers and views of this file use."""
        entries, collection = self.entries, self.collection
        used: Set[str] = set()
        for info in entries.classes.values():
            for attribute in ("form_class", "serializer_class"):
                value = entries.class_attribute(info, attribute)
                spelled = dotted(value) if value is not None else None
                if spelled:
                    used.add(spelled)
        for entry in entries.entry_points:
            if entry.kind in ("form-save", "serializer-save"):
                continue
            if entry.schema:
                used.add(entry.schema)
            if entry.function is not None:
                used |= collection.used_schemas(entry.function)
        if used:
            resolved = sorted(absolute_callee(_resolve_spelled(self.ctx, name), module, package) for name in used)
            self.ctx.record(FACT_SCHEMA_USE, _NOWHERE, module=module, schemas=resolved)

    def candidate(self, entry: EntryPoint, check_consent_order: bool):
        """(data, sites, unresolved guards, unresolved schemas, edit?) for a handler that may be ungated."""
        guards, collection = self.guards, self.collection
        audience = self.ctx.settings.audience
        vocab = guards.vocabulary
        if any(g.kind in GATE_KINDS for g in guards.entry_guards(entry)) or _gated_by_callers(guards, entry):
            return None
        anonymous = not entry.authenticated
        found: Dict[bool, Tuple[List[Datum], List[Collection], Set[str]]] = {True: ([], [], set()), False: ([], [], set())}
        unresolved: List[Unresolved] = []
        for site in collection.entry_sites(entry):
            if set(site.gated_in_helper) & GATE_KINDS:
                continue
            counted = [d for d in site.data if counts_for(d, audience)]
            if not counted and not site.schema:
                continue
            if entry.function is not None:
                if guards.dominating(entry.function, site.node, GATE_KINDS):
                    continue
                if check_consent_order and consent_requested_after(guards, entry.function, site):
                    continue  # COP202 says it better: the consent request comes too late
                for item in guards.unresolved_before(entry.function, site.node):
                    if item not in unresolved:
                        unresolved.append(item)
            else:
                for callee, how in _class_level_callees(guards, entry):
                    if Unresolved(callee, how) not in unresolved:
                        unresolved.append(Unresolved(callee, how))
            signup = anonymous and not site.owned and site.operation == CREATE
            if not signup and not site.own_record:
                continue  # a record of someone else's, or one owned by the signed-in user: not the user's age
            data, sites, schemas = found[signup]
            data.extend(d for d in counted if d not in data)
            sites.append(site)
            if site.schema:
                schemas.add(_resolve_spelled(self.ctx, site.schema))
        data, sites, schemas = found[True]
        if data or schemas:
            return data, sites, unresolved, schemas, False
        data, sites, schemas = found[False]
        if schemas or any(_is_age_datum(d, vocab) for d in data):
            # an edit: reported only for the sites that write the age, naming everything it stores
            age_first = sorted(sites, key=lambda s: not any(_is_age_datum(d, vocab) for d in s.data))
            return data, age_first, unresolved, schemas, True
        return None

    def message(self, entry: EntryPoint, data: Sequence[Datum], sites: Sequence[Collection], edit: bool) -> str:
        settings = self.ctx.settings
        return make_message(entry.label, data, [s.how for s in sites], edit, settings.consent_age, settings.audience)

    @classmethod
    def check_project(cls, project) -> Iterable[ProjectFinding]:
        vocab = vocabulary_for(project.settings)
        names = _vocabulary_for(project.settings)
        audience = project.settings.audience
        schemas = _project_schemas(project)
        used = _project_schema_uses(project)
        for fact in project.facts(FACT_PENDING):
            module, package = fact.get("module"), bool(fact.get("package"))
            own_schema = fact.get("own_schema")
            if own_schema and _is_used(used, f"{module}.{own_schema}".lstrip(".")):
                continue
            if any(
                summary_gates(find_project_summary(project, callee, module, package), how)
                for callee, how in fact.get("unresolved") or ()
            ):
                continue
            data = _data_from_rows(fact.get("data"))
            gated = False
            for spelled in fact.get("schemas") or ():
                target = absolute_callee(spelled, module, package)
                found = _find(schemas, target)
                if found is None:
                    continue
                if summary_gates(find_project_summary(project, target, "", False), "validation"):
                    gated = True
                    break
                subject = names.subject_of(found["name"].rsplit(".", 1)[-1]) or "person"
                for field_name in found["fields"]:
                    match = names.classify(field_name, subject_hint=subject)
                    if match.category is None:
                        continue
                    datum = Datum(match.label or match.category.label, match.category.id, match.category.sensitivity,
                                  match.subject or subject, f"{found['name']}.{field_name}")
                    if counts_for(datum, audience) and datum not in data:
                        data.append(datum)
            if gated or not data:
                continue
            if fact.get("edit") and not any(_is_age_datum(d, vocab) for d in data):
                continue
            message = make_message(fact.get("handler"), data, list(fact.get("how") or ()), bool(fact.get("edit")),
                                   int(fact.get("consent_age") or project.settings.consent_age), audience)
            yield ProjectFinding.at(fact, message)


def make_message(handler: str, data: Sequence[Datum], hows: Sequence[str], edit: bool, consent_age: int,
                 audience: str = "mixed") -> str:
    how = f" ({hows[0]})" if hows else ""
    if edit:
        vocab = vocabulary_for(None)
        ages = [d for d in data if _is_age_datum(d, vocab)] or list(data)
        others = [d for d in data if d not in ages]
        labels = _labels(ages)
        also = f"; it also stores {_labels(others)}" if others else ""
        return (
            f"{handler} lets a signed-in user change their {labels}{how} with no age gate, so the age checked at "
            f"sign-up can be rewritten at will{also}. Re-run the age gate on the new value (and require a parent's "
            f"consent again under {consent_age}), or make the date of birth read-only"
        )
    return (
        f"{handler} stores {describe(data, audience=audience)}{how} with no age gate before it: ask for the age first with a neutral "
        f"age screen, and route users under {consent_age} to verifiable parental consent before storing anything "
        f"(a decorator such as @parental_consent_required, a Depends(verify_age) dependency, or an early return "
        f"when calculate_age(birth_date) < {consent_age})"
    )


def _labels(data: Sequence[Datum], limit: int = 4) -> str:
    labels: List[str] = []
    for datum in sorted(data, key=_label_order):
        label = "every field the client sent" if datum.category == "payload" else datum.label
        if label not in labels:
            labels.append(label)
    shown = labels[:limit]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return text + (f" (+{len(labels) - limit} more)" if len(labels) > limit else "")


def _gated_by_callers(guards: GuardAnalysis, entry: EntryPoint) -> bool:
    """A handler method the class's other handler calls behind a guard (`create()` -> `self.perform_create()`)."""
    info, function = entry.class_info, entry.function
    if info is None or function is None:
        return False
    target = f"self.{function.name.value}"
    calls = []
    for method in info.methods.values():
        if method is function:
            continue
        for node in _walk_nodes(method):
            if isinstance(node, cst.Call) and dotted(node.func) == target:
                calls.append((method, node))
    return bool(calls) and all(guards.dominating(method, node, GATE_KINDS) for method, node in calls)


def _class_level_callees(guards: GuardAnalysis, entry: EntryPoint) -> List[Tuple[str, str]]:
    out = []
    for expr, how in [(d, "decorator") for d in entry.decorators] + [(p, "permission") for p in entry.permissions]:
        target = expr.func if isinstance(expr, cst.Call) else expr
        callee = guards._project_callee(target)
        if callee is not None:
            out.append((callee, how))
    return out


def _resolve_spelled(ctx, spelled: str) -> str:
    head, _, rest = spelled.partition(".")
    bound = ctx.imports.bindings.get(head, head)
    return f"{bound}.{rest}" if rest else bound


def _project_schemas(project) -> Dict[str, dict]:
    cached = getattr(project, "_cop2_schemas", None)
    if cached is not None:
        return cached
    out = {}
    for fact in project.facts(FACT_SCHEMA):
        out[f"{fact.get('module')}.{fact.get('name')}".lstrip(".")] = {
            "name": fact.get("name"), "fields": list(fact.get("fields") or ()),
        }
    project._cop2_schemas = out
    return out


def _project_schema_uses(project) -> Set[str]:
    out: Set[str] = set()
    for fact in project.facts(FACT_SCHEMA_USE):
        out.update(fact.get("schemas") or ())
    return out


def _is_used(used: Set[str], qualified: str) -> bool:
    """Whether a schema class (`app.forms.SignupForm`) is named by some view (suffix match on components)."""
    short = qualified.rsplit(".", 1)[-1]
    for name in used:
        if name == qualified or qualified.endswith("." + name) or name.endswith("." + qualified):
            return True
        if "." not in name and name == short:
            return True
    return False


def _find(table: Dict[str, dict], target: str) -> Optional[dict]:
    if target in table:
        return table[target]
    matches = [name for name in table if name.endswith("." + target) or target.endswith("." + name)]
    return table[matches[0]] if len(matches) == 1 else None


# -- COP202 ---------------------------------------------------------------------------


def consent_requested_after(guards: GuardAnalysis, function: cst.FunctionDef, site: Collection) -> Optional[str]:
    """Text of a parental-consent request made after `site` on the same path, if any."""
    for node, text in guards.consent_requests(function):
        if guards.runs_after(function, site.node, node):
            return text
    return None


def _parent_contact_only(data: Sequence[Datum]) -> bool:
    """COPPA's exception: a parent's contact details (and the child's name) to ask for consent."""
    adult = [d for d in data if d.subject == "adult"]
    others = [d for d in data if d.subject != "adult"]
    return bool(adult) and all(d.category == "name" for d in others)


class ConsentAfterCollection(AgeAssuranceRule):
    """A child's personal data persisted before a parent's consent is obtained.

    Reported at the call that stores the record when, later on the same path
    of the same handler, the code asks a parent for consent
    (`send_consent_request(...)`, `ParentalConsent(...)`, a redirect to a
    consent page) and no consent guard holds before the store. Storing only
    the parent's contact details (with the child's name) to send the request
    is COPPA's exception and is not reported.
    """

    code = "COP202"
    name = "child-data-before-parental-consent"
    summary = "A child's personal data is stored before a parent's consent is obtained"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-4.2", "COPPA-312.5", "COPPA-312.5.C", "GDPR-8.1", "GDPR-8.2", "ITU-COP-FC.1")

    def finish(self) -> None:
        guards, collection = self.guards, self.collection
        for entry in self.entries.entry_points:
            if entry.function is None:
                continue
            for site in collection.entry_sites(entry):
                if site.operation == SESSION:
                    continue
                data = [d for d in site.data if d.param < 0 and d.subject != "adult"]
                if not data or _parent_contact_only(site.data):
                    continue
                if CONSENT in site.gated_in_helper or guards.dominating(entry.function, site.node, {CONSENT}):
                    continue
                request = consent_requested_after(guards, entry.function, site)
                if request is None:
                    continue
                self.report(
                    site.node,
                    f"{entry.label} stores {describe(data, audience=self.ctx.settings.audience)} ({site.how}) before asking a parent for consent "
                    f"({request} comes after it): ask first, keeping only the parent's contact details "
                    f"(and the child's name) until the parent agrees, then create the child's record",
                )


# -- COP203 ---------------------------------------------------------------------------


class WeakAgeGate(AgeAssuranceRule):
    """An age gate that does not protect: a threshold below `consent-age`, or a result never enforced.

    Thresholds: a comparison of an age or birth date with a number below
    `consent-age` (`age < 12` with the default 13), or a guard factory given
    one (`@requires_parental_consent(age_limit=12)`), when it decides about
    consent (a consent or parent word in the test or its branch) or is the
    age gate in front of a handler's collection. Unenforced: in a handler, an
    age computed or a check called whose result is only logged, printed or
    flashed, or discarded, or an age test whose branches only report, so the
    request goes on either way.
    """

    code = "COP203"
    name = "weak-age-gate"
    summary = "An age gate uses a threshold below the consent age, or its result is never enforced"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-2.3", "UK-AADC-3", "COPPA-312.5", "GDPR-8.1", "ITU-COP-FC.1", "DSA-28.GL-AGE")

    def finish(self) -> None:
        consent_age = self.ctx.settings.consent_age
        reported: Set[int] = set()
        entries = self.entries
        for qualname, function in entries.functions.items():
            for node, threshold, text in self._low_thresholds(function, consent_age):
                if id(node) in reported:
                    continue
                reported.add(id(node))
                label = f"{qualname}()"
                self.report(
                    node,
                    f"{label} lets children aged {_ages(threshold, consent_age)} through without parental consent "
                    f"({text}): the consent age is {consent_age}; compare with it (or a CONSENT_AGE setting of "
                    f"{consent_age}) so that every child under {consent_age} needs a parent's consent",
                )
        for entry in entries.entry_points:
            if entry.function is None:
                continue
            for node, text, why in self._unenforced(entry.function):
                if id(node) in reported:
                    continue
                reported.add(id(node))
                self.report(
                    node,
                    f"{entry.label} checks the user's age ({text}) but never acts on it: {why}. Compare the age "
                    f"with the consent age ({consent_age}) and stop the request, or route it to parental consent, "
                    f"before collecting anything",
                )

    # -- thresholds below the consent age -------------------------------------------------
    def _low_thresholds(self, function: cst.FunctionDef, consent_age: int) -> List[Tuple[cst.CSTNode, int, str]]:
        guards = self.guards
        out: List[Tuple[cst.CSTNode, int, str]] = []
        for guard in guards.function_guards(function):
            if guard.threshold is not None and 0 < guard.threshold < consent_age:
                out.append((guard.node, guard.threshold, guard.text))
        index = guards.index(function)
        env = guards.env(function)
        entry = self.entries.entry_point_for(function)
        sites = self.collection.sites(function) if entry is not None else []
        for statement in index.statements:
            for test, body_nodes in _tests_of(statement):
                for node in _walk_nodes(test):
                    if not isinstance(node, cst.Comparison):
                        continue
                    guard = guards.age_comparison(node, env)
                    if guard is None or guard.threshold is None or not 0 < guard.threshold < consent_age:
                        continue
                    if self._consent_context(test, body_nodes, env) or self._gates_collection(
                        function, statement, guard, sites, consent_age
                    ):
                        out.append((node, guard.threshold, guard.text))
        return out

    def _consent_context(self, test: cst.BaseExpression, body: Sequence[cst.CSTNode], env) -> bool:
        guards = self.guards
        if any(g.kind == CONSENT for g in guards.test_guards(test, env)):
            return True
        vocab = guards.vocabulary
        for part in body:
            for node in _walk_nodes(part):
                if isinstance(node, (cst.Name, cst.Attribute)):
                    name = node.value if isinstance(node, cst.Name) else node.attr.value
                    if CONSENT in vocab.name_kinds(name) or vocab.is_consent_request(name):
                        return True
                elif isinstance(node, cst.SimpleString):
                    text = (string_value(node) or "").lower()
                    words = set(text.replace("'", " ").split())
                    if words & {"consent", "parental", "parent", "parents", "guardian", "guardians"}:
                        return True
        return False

    def _gates_collection(self, function, statement, guard: Guard, sites: Sequence[Collection], consent_age: int) -> bool:
        """The comparison is the age gate in front of a handler's collection, and no better gate is."""
        guards = self.guards
        for site in sites:
            dominating = guards.dominating(function, site.node, GATE_KINDS)
            if not any(g.node is guard.node for g in dominating):
                continue
            better = [
                g for g in dominating
                if g.kind == CONSENT or (g.kind == AGE and g.node is not guard.node and (g.threshold is None or g.threshold >= consent_age))
            ]
            if not better:
                return True
        return False

    # -- results never enforced ------------------------------------------------------------
    def _unenforced(self, function: cst.FunctionDef) -> List[Tuple[cst.CSTNode, str, str]]:
        guards = self.guards
        vocab = guards.vocabulary
        index = guards.index(function)
        env = guards.env(function)
        out: List[Tuple[cst.CSTNode, str, str]] = []
        for statement in index.statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Expr):
                        for guard in guards.statement_guards(statement, env):
                            if not guard.enforced and guard.how == "call":
                                out.append((guard.node, guard.text, "its result is thrown away"))
                                break
                    elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                        value = small.value.expression if isinstance(small.value, cst.Await) else small.value
                        if not isinstance(value, cst.Call):
                            continue
                        is_age = guards.age_value_kind(value, env) == "age"
                        tested = [g for g in guards.test_guards(value, env) if g.kind in GATE_KINDS]
                        if not is_age and not tested:
                            continue
                        name = small.targets[0].target.value
                        uses = _uses_after(index, statement, name, vocab)
                        if all(use == "report" for use in uses):
                            why = "the result is only logged or shown, and the request goes on" if uses else (
                                "the result is never used"
                            )
                            out.append((value, f"{name} = {_short(value)}", why))
            elif isinstance(statement, cst.If):
                tested = [g for g in guards.test_guards(statement.test, env) if g.kind in GATE_KINDS]
                if tested and _only_reports(statement, vocab):
                    out.append((statement.test, _short(statement.test),
                                 "the branch only logs or shows a message, and the request goes on"))
        return out


# -- syntax helpers ------------------------------------------------------------------------


def _ages(threshold: int, consent_age: int) -> str:
    return str(threshold) if threshold == consent_age - 1 else f"{threshold} to {consent_age - 1}"


def _tests_of(statement: cst.CSTNode) -> List[Tuple[cst.BaseExpression, List[cst.CSTNode]]]:
    """(test, nodes of the branches it decides) for if/while/assert/return statements."""
    from ..analysis.guards import _branches

    out: List[Tuple[cst.BaseExpression, List[cst.CSTNode]]] = []
    if isinstance(statement, (cst.If, cst.While)):
        out.append((statement.test, [s for _, block in _branches(statement) for s in block]))
    elif isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, cst.Assert):
                out.append((small.test, [small.msg] if small.msg is not None else []))
            elif isinstance(small, cst.Return) and small.value is not None:
                out.append((small.value, []))
            elif isinstance(small, cst.Assign):
                out.append((small.value, [t.target for t in small.targets]))
    return out


def _uses_after(index, statement: cst.CSTNode, name: str, vocab) -> List[str]:
    """How `name` is used after `statement`: "test", "report" or "other", one entry per use."""
    from ..analysis.guards import _header_parts

    start = index.order[id(statement)]
    uses: List[str] = []
    for later in index.statements[start + 1 :]:
        if isinstance(later, (cst.If, cst.While)):
            if _mentions(later.test, name):
                uses.append("test")
            continue
        for part in _header_parts(later):
            _classify_uses(part, name, vocab, "other", uses)
    return uses


def _classify_uses(node: cst.CSTNode, name: str, vocab, context: str, uses: List[str]) -> None:
    if isinstance(node, cst.Name):
        if node.value == name:
            uses.append(context)
        return
    if isinstance(node, (cst.Comparison, cst.BooleanOperation, cst.Assert)) or (
        isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not)
    ):
        if _mentions(node, name):
            uses.append("test")
        return
    if isinstance(node, cst.IfExp):
        if _mentions(node.test, name):
            uses.append("test")
        _classify_uses(node.body, name, vocab, context, uses)
        _classify_uses(node.orelse, name, vocab, context, uses)
        return
    if isinstance(node, cst.Call):
        spelled = dotted(node.func) or ""
        report = vocab.report_only.matches(spelled)
        _classify_uses(node.func, name, vocab, context, uses)
        for arg in node.args:
            _classify_uses(arg.value, name, vocab, "report" if report else "other", uses)
        return
    for child in node.children:
        _classify_uses(child, name, vocab, context, uses)


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in _walk_nodes(node))


def _only_reports(statement: cst.If, vocab) -> bool:
    """Every branch of an `if` only logs, prints or flashes (or passes): the request goes on."""
    from ..analysis.guards import _branches

    branches = list(_branches(statement))
    if not branches:
        return False
    for _, block in branches:
        for inner in block:
            if not isinstance(inner, cst.SimpleStatementLine):
                return False
            for small in inner.body:
                if isinstance(small, cst.Pass):
                    continue
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    if vocab.report_only.matches(dotted(small.value.func) or ""):
                        continue
                return False
    return True


def _short(node: cst.CSTNode) -> str:
    try:
        text = cst.Module(body=()).code_for_node(node)
    except Exception:  # pragma: no cover
        return "check"
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "..."


AGE_ASSURANCE_RULES = (MissingAgeGate, ConsentAfterCollection, WeakAgeGate)
