"""Where a handler stores a person's data: the collection sites of a function.

A collection site is a statement that keeps personal data the client sent, or
that creates or changes a person's record:

* creating a record: `User(...)` then `db.session.add(user)` / `user.save()`,
  `User.objects.create(...)`, `create_user(...)`, `get_or_create(...)`,
  `form.save()` / `serializer.save()` of a form or serializer with personal
  fields, `super().create(validated_data)`;
* changing one: `current_user.birth_date = ...`, `setattr(user, field, ...)`,
  `Model.objects.filter(...).update(...)`, `form.save()` of a form bound to an
  existing instance;
* keeping it in the session: `session["email"] = email`.

Reading a field to look something up (`User.query.filter_by(email=email)`)
is not collection. Which names are personal data comes from the flow
analysis's vocabulary (`data/personal_data.toml`); request payload sources
(`request.form`, `request.POST`, `request.get_json()`, `cleaned_data`,
`validated_data`) from `data/flow.toml`. Calls to helpers of the same file
that store their parameters count at the call; a site inside a helper keeps
the guards that hold inside the helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..imports import dotted
from ..rule import Analysis
from .entrypoints import ClassInfo, EntryPoint, EntryPointAnalysis, string_list, string_value
from .flow import Datum, _vocabulary_for, default_flow_config
from .guards import GuardAnalysis, _branches, _suite

CREATE, UPDATE, SESSION = "create", "update", "session"

_CREATE_METHODS = frozenset({"create", "create_user", "get_or_create", "update_or_create", "bulk_create", "insert_one"})
_FETCH_METHODS = frozenset({
    "get", "first", "one", "one_or_none", "first_or_404", "get_or_404", "one_or_404", "get_object",
    "get_object_or_404", "scalar", "scalar_one", "latest", "earliest", "last",
})
_SAVE_METHODS = frozenset({"save", "put", "insert"})
_ADD_METHODS = frozenset({"add", "add_all", "merge"})
_SKIP_CLASSES = frozenset({
    "Response", "JsonResponse", "HttpResponse", "HttpResponseRedirect", "TemplateResponse", "Path", "Decimal",
    "UUID", "Q", "F", "Value", "Count", "Sum", "Max", "Min", "Avg", "Markup", "Message", "EmailMessage",
    "EmailMultiAlternatives", "HTTPException", "Exception", "ValueError", "OrderedDict", "Counter",
})


@dataclass(frozen=True)
class Collection:
    """Personal data stored at one place of a function."""

    node: cst.CSTNode  # the call or statement that stores it
    operation: str  # create | update | session
    how: str  # for messages: "User(...) added to db.session", "User.objects.create_user()"
    data: Tuple[Datum, ...]
    record: str  # what is stored: "User", "current_user", "SignupForm", "session"
    owned: bool = False  # built with the signed-in user as its owner (owner=request.user)
    via: str = ""  # the helper of this file the data went through
    gated_in_helper: Tuple[str, ...] = ()  # guard kinds that hold inside that helper
    schema: str = ""  # a form or serializer defined elsewhere whose fields are stored (project pass)
    own_record: bool = False  # the record changed is the signed-in user's own (a profile edit)


@dataclass
class _Record:
    kind: str  # "new" | "existing"
    label: str
    data: Set[Datum] = field(default_factory=set)
    owned: bool = False
    schema: str = ""
    current: bool = False  # the signed-in user's own record


@dataclass
class _HelperSummary:
    params: Dict[int, str]  # parameter position -> operation it is stored by
    names: Tuple[str, ...]
    own: List[Collection]  # sites with data the helper finds itself (it reads the request)
    gated: Tuple[str, ...]  # kinds guarding the helper's stores


class CollectionAnalysis(Analysis):
    """Computes collection sites on demand, per function."""

    requires = (EntryPointAnalysis, GuardAnalysis)
    prefilter = None

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = _vocabulary_for(ctx.settings)
        self.flow_config = default_flow_config()
        self._sites: Dict[int, List[Collection]] = {}
        self._used: Dict[int, Set[str]] = {}
        self._helpers: Dict[str, Optional[_HelperSummary]] = {}
        self._busy: Set[str] = set()

    @property
    def entry_points(self) -> EntryPointAnalysis:
        return self.ctx.analysis(EntryPointAnalysis)

    @property
    def guards(self) -> GuardAnalysis:
        return self.ctx.analysis(GuardAnalysis)

    # -- public API ----------------------------------------------------------------
    def sites(self, function: cst.FunctionDef) -> List[Collection]:
        """Collection sites of a function, in statement order (with those of helpers it calls)."""
        found = self._sites.get(id(function))
        if found is None:
            entry = self.entry_points.entry_point_for(function)
            walker = _Walker(self, function, entry)
            walker.run()
            found = self._sites[id(function)] = walker.sites
            self._used[id(function)] = set(walker.used_schemas)
        return found

    def used_schemas(self, function: cst.FunctionDef) -> Set[str]:
        """Form and serializer classes a function binds (`SignupForm(request.POST)`), as spelled."""
        self.sites(function)
        return self._used.get(id(function), set())

    def entry_sites(self, entry: EntryPoint) -> List[Collection]:
        """Collection sites of an entry point, including the implicit save of a generic create view."""
        if entry.function is not None:
            return self.sites(entry.function)
        info = entry.class_info
        if info is None:
            return []
        data: List[Datum] = []
        schema = ""
        fields = string_list(self.entry_points.class_attribute(info, "fields"))
        model = (_model_name(self.entry_points, info) or "").rsplit(".", 1)[-1]
        subject = self.vocabulary.subject_of(model) if model else None
        for name in fields:
            data.extend(self.field_data(name, subject, name))
        if entry.schema:
            local = self.entry_points.find_class(entry.schema)
            if local is not None:
                data.extend(self.schema_data(local))
                subject = subject or self.schema_subject(local)
            else:
                schema = entry.schema
                subject = subject or self.vocabulary.subject_of(schema_subject_name(entry.schema.rsplit(".", 1)[-1]))
        # A generic view has no code of its own to read: report it only for a person's record.
        if subject is None or (not data and not schema):
            return []
        operation = entry.operation or CREATE
        how = f"the {'create' if operation == CREATE else 'update'} handler {info.name} inherits"
        own = operation == UPDATE and _returns_current_user(self.entry_points, info)
        owned = _attaches_current_user(self.entry_points, info)
        return [Collection(entry.anchor, operation, how, tuple(sorted(set(data))), info.name, owned, schema=schema,
                           own_record=own)]

    def schema_data(self, info: ClassInfo) -> List[Datum]:
        subject = self.schema_subject(info)
        out: List[Datum] = []
        for name in info.field_names:
            out.extend(self.field_data(name, subject, f"{info.name}.{name}"))
        return out

    def schema_subject(self, info: ClassInfo) -> Optional[str]:
        """Who a form, serializer or model is about: `SignupForm` -> person, `ClassroomSerializer` -> None."""
        model = info.meta.get("model")
        names = [schema_subject_name(info.name)]
        if isinstance(model, (cst.Name, cst.Attribute)):
            names.append((dotted(model) or "").rsplit(".", 1)[-1])
        for name in names:
            subject = self.vocabulary.subject_of(name) if name else None
            if subject is not None:
                return subject
        return None

    def field_data(self, name: str, subject: Optional[str], origin: str) -> List[Datum]:
        if not name or _is_constant(name):
            return []
        match = self.vocabulary.classify(name, subject_hint=subject)
        if match.category is None:
            return []
        return [Datum(match.label or match.category.label, match.category.id, match.category.sensitivity,
                      match.subject or subject or "", origin)]

    # -- helpers ----------------------------------------------------------------------
    def helper(self, qualname: str) -> Optional[_HelperSummary]:
        if qualname in self._helpers:
            return self._helpers[qualname]
        function = self.entry_points.functions.get(qualname)
        if function is None or qualname in self._busy:
            return None
        self._busy.add(qualname)
        try:
            walker = _Walker(self, function, self.entry_points.entry_point_for(function), as_helper=True)
            walker.run()
        finally:
            self._busy.discard(qualname)
        params: Dict[int, str] = {}
        own: List[Collection] = []
        gated: Optional[Set[str]] = None
        for site in walker.sites:
            kinds = {g.kind for g in self.guards.dominating(function, site.node)} | set(site.gated_in_helper)
            markers = [d for d in site.data if d.param >= 0]
            for marker in markers:
                params.setdefault(marker.param, site.operation)
            if markers:
                gated = kinds if gated is None else gated & kinds
            real = tuple(d for d in site.data if d.param < 0)
            if real:
                own.append(Collection(site.node, site.operation, site.how, real, site.record, site.owned,
                                      site.via, tuple(sorted(kinds)), site.schema, site.own_record))
        summary = _HelperSummary(params, walker.param_names, own, tuple(sorted(gated or ())))
        self._helpers[qualname] = summary if (params or own) else None
        return self._helpers[qualname]

    def local_function(self, spelled: Optional[str], class_qualname: Optional[str]) -> Optional[str]:
        if not spelled:
            return None
        functions = self.entry_points.functions
        if spelled in functions:
            return spelled
        if spelled.startswith("self.") and class_qualname:
            candidate = f"{class_qualname}.{spelled[len('self.'):]}"
            if candidate in functions:
                return candidate
        return None


class _Walker:
    """Walks one function in statement order, tracking request data and records."""

    def __init__(self, analysis: CollectionAnalysis, function: cst.FunctionDef, entry: Optional[EntryPoint],
                 as_helper: bool = False) -> None:
        self.a = analysis
        self.function = function
        self.entry = entry
        self.entries = analysis.entry_points
        self._own_name: Optional[str] = None
        self.class_info = self.entries.class_of(self._qualname())
        self.env: Dict[str, Set[Datum]] = {}
        self.records: Dict[str, _Record] = {}
        self.schemas: Dict[str, Tuple[str, bool]] = {}  # var -> (schema class as spelled, bound to an instance)
        self.payloads: Dict[str, str] = {}  # var -> schema it holds ("" for a raw request payload)
        self.loop_keys: Dict[str, Tuple[str, ...]] = {}
        self.own_schemas: Set[str] = set()  # schema variables bound to the signed-in user's record
        self.owned_schemas: Set[str] = set()  # schema variables whose record gets the signed-in user as owner
        self.used_schemas: Set[str] = set()  # form and serializer classes the function binds (as spelled)
        self.sites: List[Collection] = []
        self.as_helper = as_helper
        self.param_names: Tuple[str, ...] = ()
        self._seen: Set[Tuple[int, str]] = set()
        self._parameters()

    def _qualname(self) -> str:
        if self._own_name is None:
            self._own_name = next(
                (name for name, function in self.entries.functions.items() if function is self.function),
                self.function.name.value,
            )
        return self._own_name

    # -- setup ------------------------------------------------------------------------
    def _parameters(self) -> None:
        params = [p for p in (*self.function.params.posonly_params, *self.function.params.params)]
        is_method = self.class_info is not None
        visible = params[1:] if is_method and params and params[0].name.value in ("self", "cls") else params
        self.param_names = tuple(p.name.value for p in visible)
        entry = self.entry
        if entry is not None and entry.schema and self.class_info is not None:
            # perform_create(self, serializer), form_valid(self, form), create(self, validated_data)
            for param in visible[:1]:
                name = param.name.value
                if entry.kind in ("form-save", "serializer-save"):
                    self.payloads[name] = entry.schema
                else:
                    self.schemas[name] = (entry.schema, entry.operation == UPDATE)
        if entry is not None and entry.framework == "fastapi":
            for name, annotation in entry.body_params:
                spelled = dotted(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
                info = self.entries.find_class(spelled)
                if info is not None and info.role in ("pydantic", "form", "serializer"):
                    self.payloads[name] = info.qualname
                elif spelled and spelled[:1].isupper() and spelled not in ("UploadFile", "Request", "Response"):
                    self.payloads[name] = spelled
                else:
                    data = self.a.field_data(name, "person", name)
                    if data:
                        self.env[name] = set(data)
        if self.as_helper:
            for position, param in enumerate(visible):
                name = param.name.value
                marker = Datum("parameter", "param", "low", "", name, position)
                self.env[name] = {marker}

    # -- statements ---------------------------------------------------------------------
    def run(self) -> None:
        self.block(_suite(self.function.body))

    def block(self, statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self.small(small, statement)
            return
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(statement, cst.For):
            keys = self._constant_strings(statement.iter)
            if keys and isinstance(statement.target, cst.Name):
                self.loop_keys[statement.target.value] = keys
            elif isinstance(statement.target, cst.Name):
                self.env[statement.target.value] = self.data(statement.iter)
        if isinstance(statement, cst.With):
            for item in statement.items:
                self.data(item.item)
        for _, block in _branches(statement):
            self.block(block)

    def small(self, node: cst.CSTNode, statement: cst.CSTNode) -> None:
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            if node.value is None:
                return
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            self.assign(targets, node.value, statement)
        elif isinstance(node, cst.AugAssign):
            self.assign([node.target], node.value, statement)
        elif isinstance(node, cst.Expr):
            self.expression(node.value, statement)
        elif isinstance(node, cst.Return) and node.value is not None:
            self.expression(node.value, statement)

    def assign(self, targets: Sequence[cst.BaseExpression], value: cst.BaseExpression, statement: cst.CSTNode) -> None:
        inner = value.expression if isinstance(value, cst.Await) else value
        record: Optional[_Record] = None
        schema: Optional[Tuple[str, bool]] = None
        payload: Optional[str] = None
        if isinstance(inner, cst.Call):
            record = self.call(inner, statement, assigned=True)
            schema = self._schema_binding(inner)
        if record is None:
            record = self._existing(inner)
        if self._is_payload(inner):
            payload = self._payload_schema(inner)
        data = self.data(value)
        for target in targets:
            if isinstance(target, cst.Name):
                name = target.value
                for table in (self.records, self.schemas, self.payloads):
                    table.pop(name, None)
                self.own_schemas.discard(name)
                self.owned_schemas.discard(name)
                if record is not None:
                    self.records[name] = record
                if schema is not None:
                    self.schemas[name] = schema
                    self.used_schemas.add(schema[0])
                    if inner is not None and isinstance(inner, cst.Call) and self._is_current(_keyword(inner, "instance")):
                        self.own_schemas.add(name)
                if payload is not None:
                    self.payloads[name] = payload
                self.env[name] = set(data)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    if isinstance(element.value, cst.Name):
                        self.env[element.value.value] = set(data)
            elif isinstance(target, cst.Attribute):
                self.attribute_write(target.value, target.attr.value, value, statement, target)
            elif isinstance(target, cst.Subscript):
                self.subscript_write(target, value, statement)

    def expression(self, value: cst.BaseExpression, statement: cst.CSTNode) -> None:
        inner = value.expression if isinstance(value, cst.Await) else value
        if isinstance(inner, cst.Call):
            self.call(inner, statement, assigned=False)
        else:
            self.data(inner)

    # -- calls ----------------------------------------------------------------------------
    def call(self, node: cst.Call, statement: cst.CSTNode, assigned: bool) -> Optional[_Record]:
        """Record the sites a call makes; return the record it evaluates to, if any."""
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = func.value if isinstance(func, cst.Attribute) else None
        receiver_name = dotted(receiver) if receiver is not None else None
        # record constructors: User(...), models.User(...)
        if self._is_constructor(node):
            record = self._construct(node)
            return record
        # ORM creates: User.objects.create(...), create_user(...)
        if (method in _CREATE_METHODS and self._is_manager(receiver, method)) or (
            method is None and _last(func) in ("create_user",)
        ):
            data, owned = self._arguments_data(node, _model_of(receiver) if receiver is not None else "User")
            label = _model_of(receiver) if receiver is not None else "User"
            spelled = f"{dotted(func) or label}()"
            self.add_site(node, CREATE, spelled, data, label, owned)
            return _Record("new", label, set(data), owned)
        # updates through a queryset: User.objects.filter(...).update(...)
        if method == "update" and isinstance(receiver, cst.Call) and _last(receiver.func) in ("filter", "filter_by", "where"):
            data, owned = self._arguments_data(node, _model_of(receiver.func) or "record")
            self.add_site(node, UPDATE, _text(func) + "()", data, "record", owned)
            return None
        # persisting a record: db.session.add(user), user.save(), session.add_all([...])
        if method in _ADD_METHODS and receiver_name is not None and _is_session(receiver_name):
            for arg in node.args:
                self._persist_expr(arg.value, node, f"{receiver_name}.{method}()")
            return None
        if method in _SAVE_METHODS and receiver is not None:
            if receiver_name in self.records:
                self._persist_record(self.records[receiver_name], node, f"{receiver_name}.{method}()")
                return None
            if receiver_name in self.schemas:
                return self._schema_save(node, receiver_name, statement)
            if isinstance(receiver, cst.Call) and _last(receiver.func) == "super" and self.entry is not None:
                return self._super_save(node, method)
            if receiver_name is not None and self.entries.is_current_user(receiver):
                return None
        if method == "create" and isinstance(receiver, cst.Call) and _last(receiver.func) == "super":
            return self._super_save(node, method)
        # setattr(obj, "field", value)
        if method is None and _last(func) == "setattr" and len(node.args) >= 3:
            self._setattr(node, statement)
            return None
        # helpers of this file
        local = self.a.local_function(dotted(func), self.class_info.qualname if self.class_info else None)
        if local is not None and local != self._qualname():
            self._helper_call(node, local)
        self.data(node)
        return None

    def _is_constructor(self, node: cst.Call) -> bool:
        name = _last(node.func)
        if not name or not name[:1].isupper() or name in _SKIP_CLASSES or name.endswith(("Error", "Exception", "Warning")):
            return False
        if not any(arg.keyword is not None or arg.star == "**" for arg in node.args):
            return False
        info = self.entries.find_class(dotted(node.func))
        if info is not None and info.role in ("form", "serializer", "django-view", "drf-view", "flask-view"):
            return False
        return not name.endswith(("Form", "Serializer", "View", "ViewSet", "Schema", "Config", "Settings"))

    def _construct(self, node: cst.Call) -> _Record:
        label = _last(node.func) or "record"
        data, owned = self._arguments_data(node, label)
        return _Record("new", label, set(data), owned)

    def _arguments_data(self, node: cst.Call, model: str) -> Tuple[List[Datum], bool]:
        """Data the arguments of a constructor or create call store, and whether the signed-in user owns it."""
        subject = self.a.vocabulary.subject_of(model) or "person"
        out: List[Datum] = []
        owned = False
        for arg in node.args:
            value = arg.value
            if self.entries.is_current_user(value):
                owned = True
                continue
            if isinstance(value, cst.Name) and value.value in self.records:
                continue
            carried = self.data(value)
            markers = [d for d in carried if d.param >= 0]
            real = [d for d in carried if d.param < 0]
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword is not None and keyword not in ("defaults",) and real:
                named = self.a.field_data(keyword, subject, keyword)
                personal = [d for d in real if d.category != "payload"]
                real = named or personal or real
            elif keyword is not None and not carried and self._from_request(value):
                real = self.a.field_data(keyword, subject, _text(value))
            out.extend(real)
            out.extend(markers)
        return out, owned

    def _from_request(self, node: cst.BaseExpression) -> bool:
        spelled = dotted(node) or ""
        return spelled.startswith(("request.", "req.", "self.request."))

    def _persist_expr(self, value: cst.BaseExpression, node: cst.Call, how: str) -> None:
        if isinstance(value, cst.Name) and value.value in self.records:
            self._persist_record(self.records[value.value], node, how)
        elif isinstance(value, cst.Call) and self._is_constructor(value):
            self._persist_record(self._construct(value), node, how)
        elif isinstance(value, (cst.List, cst.Tuple)):
            for element in value.elements:
                self._persist_expr(element.value, node, how)

    def _persist_record(self, record: _Record, node: cst.CSTNode, how: str) -> None:
        operation = CREATE if record.kind == "new" else UPDATE
        verb = "saved with" if record.kind == "new" else "updated with"
        self.add_site(node, operation, f"{record.label}(...) {verb} {how}", list(record.data), record.label,
                      record.owned, schema=record.schema, own_record=record.current)

    def _schema_save(self, node: cst.Call, name: str, statement: cst.CSTNode) -> Optional[_Record]:
        schema, bound_to_instance = self.schemas[name]
        data: List[Datum] = []
        unresolved = ""
        local = self.entries.find_class(schema)
        if local is not None:
            data.extend(self.a.schema_data(local))
        else:
            unresolved = schema
        extra, owned = self._arguments_data(node, schema)
        owned = owned or name in self.owned_schemas
        data.extend(d for d in extra)
        operation = UPDATE if bound_to_instance else CREATE
        if self.entry is not None and self.entry.operation == UPDATE:
            operation = UPDATE
        own = name in self.own_schemas or (
            operation == UPDATE and self.class_info is not None and _returns_current_user(self.entries, self.class_info)
        )
        commit = _keyword(node, "commit")
        if isinstance(commit, cst.Name) and commit.value == "False":
            return _Record("new" if operation == CREATE else "existing", schema.rsplit(".", 1)[-1], set(data), owned,
                           unresolved, current=own)
        self.add_site(node, operation, f"{name}.save() of {schema.rsplit('.', 1)[-1]}", data,
                      schema.rsplit(".", 1)[-1], owned, schema=unresolved, own_record=own)
        return None

    def _super_save(self, node: cst.Call, method: str) -> Optional[_Record]:
        """`super().save(commit=False)` in a form, `super().create(validated_data)` in a serializer."""
        info = self.class_info
        if info is None or info.role not in ("form", "serializer"):
            return None
        data = self.a.schema_data(info)
        extra, owned = self._arguments_data(node, info.name)
        data.extend(d for d in extra if d.category != "payload")
        commit = _keyword(node, "commit")
        if isinstance(commit, cst.Name) and commit.value == "False":
            return _Record("new", info.name, set(data), owned)
        self.add_site(node, CREATE, f"super().{method}() of {info.name}", data, info.name, owned)
        return None

    def _setattr(self, node: cst.Call, statement: cst.CSTNode) -> None:
        target, key, value = (arg.value for arg in node.args[:3])
        keys: Tuple[str, ...] = ()
        text = string_value(key)
        if text is not None:
            keys = (text,)
        elif isinstance(key, cst.Name) and key.value in self.loop_keys:
            keys = self.loop_keys[key.value]
        obj = dotted(target) or "record"
        for attr in keys:
            self.attribute_write(target, attr, value, statement, node, key_name=key,
                                 how=f"setattr({obj}, {'field' if len(keys) > 1 else repr(attr)}, ...)")

    def _helper_call(self, node: cst.Call, qualname: str) -> None:
        helper = self.entries.functions.get(qualname)
        if helper is not None and self.entries.entry_point_for(helper) is not None:
            return  # another handler (`self.perform_create(serializer)`): its own sites are reported there
        summary = self.a.helper(qualname)
        if summary is None:
            return
        spelled = dotted(node.func) or qualname
        for site in summary.own:
            self.add_site(node, site.operation, site.how, list(site.data), site.record, site.owned,
                          via=spelled, gated=site.gated_in_helper, schema=site.schema, own_record=site.own_record)
        if not summary.params:
            return
        by_operation: Dict[str, List[Datum]] = {}
        position = 0
        for arg in node.args:
            if arg.star:
                continue
            index: Optional[int] = None
            if arg.keyword is not None:
                if arg.keyword.value in summary.names:
                    index = summary.names.index(arg.keyword.value)
            else:
                index = position
                position += 1
            if index is None or index not in summary.params:
                continue
            data = [d for d in self.data(arg.value) if d.category != "payload" or d.param >= 0]
            by_operation.setdefault(summary.params[index], []).extend(data)
        for operation, data in by_operation.items():
            if data:
                self.add_site(node, operation, f"{spelled}()", data, spelled, False, via=spelled, gated=summary.gated)

    # -- writes ------------------------------------------------------------------------------
    def attribute_write(self, obj: cst.BaseExpression, attr: str, value: cst.BaseExpression, statement: cst.CSTNode,
                        node: cst.CSTNode, key_name: Optional[cst.BaseExpression] = None, how: str = "") -> None:
        """`obj.attr = value`: collection when the value comes from the request (or a helper's parameter)."""
        obj_name = dotted(obj)
        if obj_name is None or obj_name in ("self", "cls"):
            return
        head = obj_name.split(".", 1)[0]
        if self._is_current(value):  # `form.instance.owner = request.user`: the record is the user's
            if head in self.records:
                self.records[head].owned = True
            if head in self.schemas:
                self.owned_schemas.add(head)
            return
        carried = self.data(value)
        if not carried:
            return
        subject = self.a.vocabulary.subject_of(obj_name.rsplit(".", 1)[-1]) or "person"
        markers = [d for d in carried if d.param >= 0]
        named = self.a.field_data(attr, subject, f"{obj_name}.{attr}")
        real = [d for d in carried if d.param < 0 and d.category != "payload"]
        if real or any(d.category == "payload" for d in carried):
            data = named or real
        else:
            data = []
        data = list(data) + markers
        if not data:
            return
        record = self.records.get(obj_name)
        if record is None and head in self.records:
            record = self.records[head]
        if record is not None and record.kind == "new":
            record.data.update(data)
            return
        own = self._is_current(obj) or (record is not None and record.current)
        self.add_site(node, UPDATE, how or f"{obj_name}.{attr} = ...", data, obj_name, False, own_record=own)

    def subscript_write(self, target: cst.Subscript, value: cst.BaseExpression, statement: cst.CSTNode) -> None:
        base = dotted(target.value) or ""
        if base.rsplit(".", 1)[-1] != "session":
            return
        key = None
        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = string_value(target.slice[0].slice.value)
        data = [d for d in self.data(value) if d.category != "payload" or d.param >= 0]
        if data and key:
            named = self.a.field_data(key, "person", f"{base}[{key!r}]")
            data = named or data
        if data:
            self.add_site(target, SESSION, f"{base}[{key!r}] = ...", data, "session", False)

    def add_site(self, node: cst.CSTNode, operation: str, how: str, data: Iterable[Datum], record: str,
                 owned: bool, via: str = "", gated: Tuple[str, ...] = (), schema: str = "",
                 own_record: bool = False) -> None:
        data = tuple(sorted(set(data)))
        if not data and not schema:
            return
        key = (id(node), operation)
        if key in self._seen:  # setattr in a loop, a loop body walked again: one site, all the data
            for position, site in enumerate(self.sites):
                if id(site.node) == id(node) and site.operation == operation:
                    merged = tuple(sorted(set(site.data) | set(data)))
                    self.sites[position] = Collection(site.node, site.operation, site.how, merged, site.record,
                                                      site.owned or owned, site.via, site.gated_in_helper,
                                                      site.schema or schema, site.own_record or own_record)
            return
        self._seen.add(key)
        self.sites.append(Collection(node, operation, how, data, record, owned, via, tuple(gated), schema, own_record))

    # -- data ------------------------------------------------------------------------------
    def data(self, node: Optional[cst.BaseExpression]) -> Set[Datum]:
        """Personal data a value carries from the request (or, in a helper, from its parameters)."""
        if node is None:
            return set()
        if isinstance(node, cst.Await):
            return self.data(node.expression)
        if isinstance(node, cst.Name):
            if node.value in self.payloads:
                return self._whole_payload(node.value)
            return set(self.env.get(node.value, ()))
        if isinstance(node, cst.Subscript):
            key_data = self._keyed(node.value, _subscript_key(node))
            if key_data is not None:
                return key_data
            return self.data(node.value) if not self._is_payload(node.value) else set()
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            base = dotted(node.value)
            if base in self.payloads:
                return set(self.a.field_data(attr, "person", f"{base}.{attr}"))
            if attr == "data" and isinstance(node.value, cst.Attribute):
                form = dotted(node.value.value)
                if form in self.schemas or (form or "").endswith("form"):
                    return set(self.a.field_data(node.value.attr.value, "person", _text(node)))
            if self._is_payload(node):
                return self._whole_payload_expr(node)
            return set()
        if isinstance(node, cst.Call):
            return self._call_data(node)
        if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            return self.data(node.left) | self.data(node.right)
        if isinstance(node, cst.IfExp):
            return self.data(node.body) | self.data(node.orelse)
        if isinstance(node, cst.FormattedString):
            out: Set[Datum] = set()
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    out |= self.data(part.expression)
            return out
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            out = set()
            for element in node.elements:
                out |= self.data(element.value)
            return out
        if isinstance(node, cst.Dict):
            out = set()
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    value = self.data(element.value)
                    key = string_value(element.key)
                    if value and key:
                        named = self.a.field_data(key, "person", key)
                        value = set(named) | {d for d in value if d.param >= 0} if named else value
                    out |= value
                else:
                    out |= self.data(element.value)
            return out
        return set()

    def _call_data(self, node: cst.Call) -> Set[Datum]:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method is not None:
            receiver = func.value
            if method in ("get", "getlist", "pop", "get_all") and node.args:
                keyed = self._keyed(receiver, node.args[0].value)
                if keyed is not None:
                    return keyed
            if self._is_request_call(node):
                return {Datum("request payload", "payload", "high", "", _text(node))}
            if method in self.a.flow_config.propagating_methods or method in ("strip", "lower", "title"):
                out = self.data(receiver)
                for arg in node.args:
                    out |= self.data(arg.value)
                return out
            if method in ("dict", "model_dump", "to_dict"):
                return self.data(receiver)
            return set()
        name = _last(func) or ""
        if self.a.vocabulary.is_sanitizer(name) or name in ("len", "bool", "hash", "id", "type", "isinstance"):
            return set()
        if name[:1].isupper():
            return set()
        out = set()
        for arg in node.args:
            out |= self.data(arg.value)
        return out

    def _keyed(self, receiver: cst.BaseExpression, key_node: Optional[cst.BaseExpression]) -> Optional[Set[Datum]]:
        """`payload["email"]`, `request.form.get("email")`: None if the receiver is no payload."""
        if not self._is_payload(receiver):
            return None
        if key_node is None:
            return set()
        key = string_value(key_node)
        keys: Tuple[str, ...] = (key,) if key is not None else ()
        if key is None and isinstance(key_node, cst.Name) and key_node.value in self.loop_keys:
            keys = self.loop_keys[key_node.value]
        out: Set[Datum] = set()
        for name in keys:
            out.update(self.a.field_data(name, "person", f"{_text(receiver)}[{name!r}]"))
        return out

    def _whole_payload(self, name: str) -> Set[Datum]:
        schema = self.payloads[name]
        if schema:
            info = self.entries.find_class(schema)
            if info is not None:
                return set(self.a.schema_data(info))
            return set()
        return {Datum("request payload", "payload", "high", "", name)}

    def _whole_payload_expr(self, node: cst.BaseExpression) -> Set[Datum]:
        return {Datum("request payload", "payload", "high", "", _text(node))}

    # -- predicates ---------------------------------------------------------------------------
    def _is_request(self, node: cst.BaseExpression) -> bool:
        spelled = dotted(node)
        if spelled is None:
            return False
        resolved = self.a.ctx.imports.resolve(node) or spelled
        receivers = self.a.flow_config.request_receivers
        return spelled in receivers or resolved in receivers or spelled.endswith(".request")

    def _is_request_call(self, node: cst.Call) -> bool:
        func = node.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in self.a.flow_config.request_methods
            and self._is_request(func.value)
        )

    def _is_payload(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Name):
            return node.value in self.payloads
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if attr in self.a.flow_config.payload_attributes:
                return True
            return attr in self.a.flow_config.request_attributes and self._is_request(node.value)
        if isinstance(node, cst.Call):
            if self._is_request_call(node):
                return True
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("dict", "copy", "to_dict") and self._is_payload(func.value):
                return True
        if isinstance(node, cst.BooleanOperation):  # request.get_json(silent=True) or {}
            return self._is_payload(node.left)
        return False

    def _payload_schema(self, node: cst.BaseExpression) -> str:
        if isinstance(node, cst.Attribute) and node.attr.value in ("cleaned_data", "validated_data"):
            owner = dotted(node.value)
            if owner in self.schemas:
                return self.schemas[owner][0]
            if owner == "self" and self.class_info is not None:
                return self.class_info.qualname
        return ""

    def _schema_binding(self, node: cst.Call) -> Optional[Tuple[str, bool]]:
        spelled = dotted(node.func)
        if spelled is None:
            return None
        instance = _keyword(node, "instance")
        bound = instance is not None and not (isinstance(instance, cst.Name) and instance.value == "None")
        if spelled in ("self.get_serializer", "self.get_form") and self.entry is not None and self.entry.schema:
            return self.entry.schema, bound
        info = self.entries.find_class(spelled)
        if info is not None and info.role in ("form", "serializer"):
            return info.qualname, bound
        tail = spelled.rsplit(".", 1)[-1]
        if tail.endswith(("Form", "Serializer")) and tail[:1].isupper():
            return spelled, bound
        return None

    def _existing(self, node: cst.BaseExpression) -> Optional[_Record]:
        """A record fetched from the database or the signed-in user."""
        if self._is_current(node):
            return _Record("existing", dotted(node) or "current_user", current=True)
        if isinstance(node, cst.Call):
            name = _last(node.func)
            if name in ("get_object_or_404", "get_or_404", "get_object"):
                return _Record("existing", _model_of(node.func) or "record")
            if name in _FETCH_METHODS and isinstance(node.func, cst.Attribute) and not self._is_payload(node.func.value):
                model = _model_of(node.func)
                chain = _chain_names(node.func.value)
                if model or chain & {"objects", "query", "session", "db", "_default_manager"}:
                    return _Record("existing", model or "record")
        return None

    def _is_current(self, node: Optional[cst.BaseExpression]) -> bool:
        """The signed-in user or something of theirs: `current_user`, `request.user.profile`."""
        while isinstance(node, cst.Attribute):
            if self.entries.is_current_user(node):
                return True
            node = node.value
        return node is not None and self.entries.is_current_user(node)

    def _is_manager(self, receiver: Optional[cst.BaseExpression], method: str) -> bool:
        spelled = dotted(receiver) if receiver is not None else None
        if spelled is None:
            return method == "create_user"
        last = spelled.rsplit(".", 1)[-1]
        if last in ("objects", "_default_manager", "_base_manager") or last.endswith(("manager", "Manager")):
            return True
        if method == "create_user":
            return True
        return last[:1].isupper() and method in ("create", "get_or_create")

    def _constant_strings(self, node: cst.BaseExpression) -> Tuple[str, ...]:
        if isinstance(node, (cst.Tuple, cst.List)):
            return string_list(node)
        if isinstance(node, cst.Name):
            constant = self.entries.module_constants.get(node.value)
            if constant is not None:
                return string_list(constant)
        return ()


# -- helpers -----------------------------------------------------------------------------------


def _last(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Call):
        return _last(node.func)
    return None


def _model_of(node: Optional[cst.BaseExpression]) -> str:
    """`User` in `User.objects.create`, `User.query.filter_by(...).first`."""
    if node is None:
        return ""
    spelled = dotted(node)
    if spelled is None and isinstance(node, cst.Attribute):
        return _model_of(node.value)
    if spelled is None and isinstance(node, cst.Call):
        return _model_of(node.func)
    for part in (spelled or "").split("."):
        if part[:1].isupper():
            return part
    return ""


def _chain_names(node: cst.BaseExpression) -> Set[str]:
    """Every name in an attribute/call chain: `User.query.filter_by(x=1)` -> {User, query, filter_by}."""
    out: Set[str] = set()
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            out.add(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Name):
            out.add(node.value)
            return out
        else:
            return out


def _is_session(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in ("session", "db", "sess", "db_session", "dbsession") or last.endswith("session")


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _subscript_key(node: cst.Subscript) -> Optional[cst.BaseExpression]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.slice[0].slice.value
    return None


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.FormattedString)):
        return True
    return isinstance(node, cst.Name) and node.value in ("None", "True", "False")


def _may_carry(node: cst.BaseExpression) -> bool:
    """A value that may hold what a keyword names: not a literal, comparison or boolean."""
    if _is_literal(node) or isinstance(node, (cst.Comparison, cst.UnaryOperation, cst.Lambda)):
        return False
    return True


def _is_constant(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _model_name(entries: EntryPointAnalysis, info: ClassInfo) -> Optional[str]:
    model = entries.class_attribute(info, "model")
    return dotted(model) if model is not None else None


_SCHEMA_SUFFIXES = ("Serializer", "ModelForm", "Form", "Schema", "In", "Create", "Update", "Input", "Request", "Payload")


def schema_subject_name(name: str) -> str:
    """`SignupForm` -> `Signup`, `UserCreateSerializer` -> `User`: the name of what a schema describes."""
    changed = True
    while changed and name:
        changed = False
        for suffix in _SCHEMA_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name


def _returns_current_user(entries: EntryPointAnalysis, info: ClassInfo) -> bool:
    """A view whose `get_object()` returns the signed-in user: a "my profile" endpoint."""
    method = info.methods.get("get_object")
    if method is None:
        return False
    for statement in _suite(method.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return) and small.value is not None:
                    node = small.value
                    while isinstance(node, cst.Attribute) and not entries.is_current_user(node):
                        node = node.value
                    if entries.is_current_user(node):
                        return True
    return False


def _attaches_current_user(entries: EntryPointAnalysis, info: ClassInfo) -> bool:
    """A view that hands the signed-in user to its form or record (`kwargs["user"] = self.request.user`)."""
    from .guards import _walk_nodes

    for method in info.methods.values():
        for node in _walk_nodes(method):
            value = None
            if isinstance(node, (cst.Assign, cst.AnnAssign)):
                value = node.value
            elif isinstance(node, cst.Arg) and node.keyword is not None:
                value = node.value
            elif isinstance(node, cst.DictElement):
                value = node.value
            if value is not None and entries.is_current_user(value):
                return True
    return False


def _text(node: cst.CSTNode) -> str:
    spelled = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    if spelled is not None:
        return spelled
    try:
        text = cst.Module(body=()).code_for_node(node)
    except Exception:  # pragma: no cover
        return "value"
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."
