"""Where requests enter an app: Flask, Django, DRF and FastAPI handlers.

An entry point is a function the framework calls with a client's request:

* Flask: functions under `@app.route`, `@bp.route`, `@app.post` and friends,
  on objects built by `Flask(...)` / `Blueprint(...)` in the file or spelled
  like one (`bp`, `auth_bp`); HTTP-verb methods of `MethodView` classes.
* Django: function views (first parameter `request`, with a view decorator
  such as `require_POST` or returning a response), the `post`/`put`/`patch`/
  `form_valid` methods of class-based views, and the implicit create/update of
  a `CreateView`/`UpdateView` that defines no method of its own; a form's `save`.
* DRF: `APIView` and viewset methods (`create`, `perform_create`, `update`...),
  `@action` methods, `@api_view` functions, the implicit create of a
  `CreateModelMixin` view; a serializer's `create`/`save`.
* FastAPI: functions under route decorators of `FastAPI()`/`APIRouter()`
  objects, with their dependencies (`dependencies=[Depends(...)]`, router
  dependencies, `Depends(...)` parameters) and body parameters.

Framework knowledge is data (`data/frameworks.toml`). The analysis also
describes the schema classes requests are validated with (forms, serializers,
pydantic models): their personal fields are what `form.save()` or a typed
body parameter collects. Schemas are recorded as facts so that a view in one
file can use a serializer defined in another.

Everything is computed from `visit_Module` by walking the statement tree; no
libcst metadata is needed.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from ..literals import joined_string_value
from ..data_files import load_data
from ..findings import Span
from ..imports import dotted
from ..rule import Analysis

FACT_SCHEMA = "entrypoints.schema"
_NOWHERE = Span(1, 1, 1, 1)

FLASK, DJANGO, DRF, FASTAPI = "flask", "django", "drf", "fastapi"


# -- configuration -------------------------------------------------------------


def _names(values: Iterable[str]) -> Tuple[FrozenSet[str], Tuple[str, ...]]:
    exact = frozenset(v for v in values if "*" not in v)
    patterns = tuple(v for v in values if "*" in v)
    return exact, patterns


class NameSet:
    """Dotted names and `*` patterns, matched on the full name or its last part."""

    def __init__(self, values: Iterable[str]) -> None:
        values = list(values)
        self.exact, self.patterns = _names(values)
        self.last = frozenset(v.rsplit(".", 1)[-1] for v in self.exact)
        self._pattern = re.compile("|".join(fnmatch.translate(p) for p in self.patterns)) if self.patterns else None

    def __contains__(self, name: Optional[str]) -> bool:
        return self.matches(name)

    def matches(self, name: Optional[str], *, last_part: bool = True) -> bool:
        if not name:
            return False
        name = name.replace("()", "")
        if name in self.exact:
            return True
        tail = name.rsplit(".", 1)[-1]
        if last_part and tail in self.last:
            return True
        return self._pattern is not None and bool(self._pattern.match(tail) or self._pattern.match(name))

    def matches_exact(self, name: Optional[str]) -> bool:
        """Full dotted name only (or a pattern): for lists whose short names are ambiguous."""
        if not name:
            return False
        name = name.replace("()", "")
        return name in self.exact or (self._pattern is not None and bool(self._pattern.match(name)))


class FrameworkConfig:
    def __init__(self, data: dict) -> None:
        flask, django, drf, fastapi, auth = (data[k] for k in ("flask", "django", "drf", "fastapi", "auth"))
        self.flask_constructors = NameSet(flask["app-constructors"])
        self.flask_receivers = NameSet(flask["receiver-names"])
        self.flask_routes = frozenset(flask["route-decorators"])
        self.flask_view_bases = NameSet(flask["view-bases"])
        self.flask_view_methods = frozenset(flask["view-methods"])
        self.django_view_decorators = NameSet(django["view-decorators"])
        self.django_responses = NameSet(django["response-functions"])
        self.django_view_bases = NameSet(django["view-bases"])
        self.django_view_methods = frozenset(django["view-methods"])
        self.django_create_bases = NameSet(django["create-bases"])
        self.django_update_bases = NameSet(django["update-bases"])
        self.form_bases = NameSet(django["form-bases"])
        self.form_save_methods = frozenset(django["form-save-methods"])
        self.form_validation = NameSet(django["form-validation-methods"])
        self.login_mixins = NameSet(django["login-mixins"])
        self.drf_view_bases = NameSet(drf["view-bases"])
        self.drf_view_methods = frozenset(drf["view-methods"])
        self.drf_create_bases = NameSet(drf["create-bases"])
        self.drf_update_bases = NameSet(drf["update-bases"])
        self.drf_function_decorators = NameSet(drf["function-decorators"])
        self.serializer_bases = NameSet(drf["serializer-bases"])
        self.serializer_save_methods = frozenset(drf["serializer-save-methods"])
        self.serializer_validation = NameSet(drf["serializer-validation-methods"])
        self.open_permissions = NameSet(drf["open-permissions"])
        self.fastapi_constructors = NameSet(fastapi["app-constructors"])
        self.fastapi_receivers = NameSet(fastapi["receiver-names"])
        self.fastapi_routes = frozenset(fastapi["route-decorators"])
        self.dependency_functions = NameSet(fastapi["dependency-functions"])
        self.body_functions = NameSet(fastapi["body-functions"])
        self.model_bases = NameSet(fastapi["model-bases"])
        self.auth_decorator_words = frozenset(auth["decorator-words"])
        self.auth_dependency_words = frozenset(auth["dependency-words"])
        self.current_user = frozenset(auth["current-user"])


@lru_cache(maxsize=None)
def default_frameworks() -> FrameworkConfig:
    return FrameworkConfig(load_data("frameworks.toml"))


# -- results -------------------------------------------------------------------


@dataclass
class ClassInfo:
    """A class the analysis has a role for: a view, a schema or a plain class."""

    node: cst.ClassDef
    qualname: str
    bases: Tuple[str, ...]  # resolved dotted names, as spelled when unresolvable
    role: str  # "flask-view" | "django-view" | "drf-view" | "form" | "serializer" | "pydantic" | ""
    attributes: Dict[str, cst.BaseExpression] = field(default_factory=dict)
    meta: Dict[str, cst.BaseExpression] = field(default_factory=dict)
    methods: Dict[str, cst.FunctionDef] = field(default_factory=dict)
    field_names: Tuple[str, ...] = ()  # declared fields (schemas)
    decorators: Tuple[cst.BaseExpression, ...] = ()

    @property
    def name(self) -> str:
        return self.node.name.value

    def base_matches(self, names: "NameSet") -> bool:
        return any(names.matches(base) for base in self.bases)


@dataclass
class EntryPoint:
    """One handler the framework calls with a request."""

    qualname: str  # "signup", "SignupView.post", "SignupView" (implicit class-level handler)
    framework: str  # flask | django | drf | fastapi
    kind: str  # route | function-view | method-view | class-view | viewset | implicit | form-save | serializer-save
    function: Optional[cst.FunctionDef]  # None for an implicit class-level handler
    class_info: Optional[ClassInfo]
    anchor: cst.CSTNode  # the def's or the class's name, where findings about the handler go
    http_methods: Tuple[str, ...] = ()
    decorators: Tuple[cst.BaseExpression, ...] = ()  # the function's and its class's
    dependencies: Tuple[cst.BaseExpression, ...] = ()  # FastAPI: what Depends(...) names
    permissions: Tuple[cst.BaseExpression, ...] = ()  # DRF permission classes
    authenticated: str = ""  # what makes the caller signed in ("@login_required"), "" if nothing
    operation: str = ""  # "create" | "update" | "" (unknown)
    body_params: Tuple[Tuple[str, Optional[cst.BaseExpression]], ...] = ()  # FastAPI (name, annotation)
    schema: Optional[str] = None  # the form or serializer class the handler validates with, as spelled

    @property
    def label(self) -> str:
        return self.qualname if self.function is None else f"{self.qualname}()"


@dataclass(frozen=True)
class SchemaField:
    name: str
    node: cst.CSTNode


# -- the analysis --------------------------------------------------------------


class EntryPointAnalysis(Analysis):
    """Finds the entry points and schema classes of one file."""

    prefilter = None  # schema facts may come from any file

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.config = default_frameworks()
        self.entry_points: List[EntryPoint] = []
        self.classes: Dict[str, ClassInfo] = {}  # by qualname
        self.functions: Dict[str, cst.FunctionDef] = {}  # every def, by qualname (as flow.py names them)
        self.function_class: Dict[str, str] = {}  # method qualname -> class qualname
        self.module_constants: Dict[str, cst.BaseExpression] = {}
        self._objects: Dict[str, Tuple[str, cst.Call]] = {}  # name -> (framework, constructor call)
        self._by_function: Dict[int, EntryPoint] = {}
        self._fastapi_imported = False

    # -- public queries ---------------------------------------------------
    def entry_point_for(self, function: cst.FunctionDef) -> Optional[EntryPoint]:
        return self._by_function.get(id(function))

    def class_of(self, qualname: str) -> Optional[ClassInfo]:
        owner = self.function_class.get(qualname)
        return self.classes.get(owner) if owner else None

    def find_class(self, spelled: Optional[str]) -> Optional[ClassInfo]:
        """A class of this file by the name code uses for it (`SignupForm`, `forms.SignupForm` is not local)."""
        if not spelled:
            return None
        if spelled in self.classes:
            return self.classes[spelled]
        tail = spelled.rsplit(".", 1)[-1]
        if "." not in spelled:
            matches = [info for name, info in self.classes.items() if name.rsplit(".", 1)[-1] == tail]
            if len(matches) == 1:
                return matches[0]
        return None

    def is_current_user(self, node: cst.BaseExpression) -> bool:
        spelled = dotted(node)
        if spelled is None:
            return False
        resolved = self.ctx.imports.resolve(node) or spelled
        return spelled in self.config.current_user or resolved in self.config.current_user

    # -- traversal --------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._fastapi_imported = any(
            value.split(".", 1)[0] in ("fastapi", "starlette") for value in self.ctx.imports.bindings.values()
        )
        self._collect_objects(node.body)
        for statement in node.body:
            for name, value in _assignments(statement):
                self.module_constants[name] = value
        self._walk(node.body, [], None)
        self._finish_classes()

    def finish(self) -> None:
        self._record_schemas()

    # -- module objects: apps, blueprints, routers -------------------------
    def _collect_objects(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in _iter_all_statements(body):
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                if type(small) in _ASSIGNMENTS and type(small.value) is cst.Call:
                    targets = small.targets if isinstance(small, cst.Assign) else [small]
                    resolved = self.ctx.imports.resolve(small.value.func)
                    framework = None
                    if self.config.fastapi_constructors.matches(resolved):
                        framework = FASTAPI
                    elif self.config.flask_constructors.matches(resolved):
                        framework = FLASK
                    if framework is None:
                        continue
                    for target in targets:
                        spelled = dotted(target.target)
                        if spelled:
                            self._objects[spelled] = (framework, small.value)

    # -- statements -------------------------------------------------------
    def _walk(self, body: Sequence[cst.CSTNode], scope: List[str], class_info: Optional[ClassInfo]) -> None:
        for statement in body:
            kind = type(statement)
            if kind is cst.FunctionDef:
                self._function(statement, scope, class_info)
            elif kind is cst.ClassDef:
                self._class(statement, scope)
            elif kind in _COMPOUND:
                for inner in _compound_bodies(statement):
                    self._walk(inner, scope, class_info)

    def _class(self, node: cst.ClassDef, scope: List[str]) -> None:
        qualname = ".".join([*scope, node.name.value])
        bases = tuple(self._resolve_name(arg.value) for arg in node.bases if arg.keyword is None)
        info = ClassInfo(node, qualname, tuple(b for b in bases if b), "")
        info.decorators = tuple(d.decorator for d in node.decorators)
        for statement in _suite(node.body):
            if isinstance(statement, cst.FunctionDef):
                info.methods[statement.name.value] = statement
            elif isinstance(statement, cst.ClassDef) and statement.name.value == "Meta":
                for inner in _suite(statement.body):
                    for name, value in _assignments(inner):
                        info.meta[name] = value
            else:
                for name, value in _assignments(statement):
                    info.attributes[name] = value
        info.role = self._class_role(info)
        info.field_names = self._schema_fields(info) if info.role in ("form", "serializer", "pydantic") else ()
        self.classes[qualname] = info
        self._walk(_suite(node.body), [*scope, node.name.value], info)

    def _class_role(self, info: ClassInfo) -> str:
        config = self.config
        for base in info.bases:
            local = self.find_class(base)
            if local is not None and local.role:
                return local.role
        if info.base_matches(config.serializer_bases):
            return "serializer"
        if info.base_matches(config.form_bases):
            return "form"
        if info.base_matches(config.model_bases):
            return "pydantic"
        if info.base_matches(config.drf_view_bases):
            return "drf-view"
        if info.base_matches(config.flask_view_bases):
            return "flask-view"
        if info.base_matches(config.django_view_bases):
            return "django-view"
        for base in info.bases:
            tail = base.rsplit(".", 1)[-1]
            if tail.endswith(("ViewSet", "Viewset", "APIView")):
                return "drf-view"
            if tail.endswith("Serializer"):
                return "serializer"
            if tail.endswith("Form") and "forms" in base:
                return "form"
            if tail.endswith("View") and not tail.endswith("MethodView"):
                return "drf-view" if _imports_package(self.ctx, "rest_framework") else "django-view"
        return ""

    def _schema_fields(self, info: ClassInfo) -> Tuple[str, ...]:
        names: List[str] = []
        for statement in _suite(info.node.body):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        names.append(small.target.value)
                    elif isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                names.append(target.target.value)
        declared = info.meta.get("fields")
        names.extend(_string_list(declared))
        excluded = set(_string_list(info.meta.get("exclude"))) | set(_string_list(info.meta.get("read_only_fields")))
        seen: List[str] = []
        for name in names:
            if name not in seen and name not in excluded and not name.startswith("_") and name != "Meta":
                seen.append(name)
        return tuple(seen)

    def _function(self, node: cst.FunctionDef, scope: List[str], class_info: Optional[ClassInfo]) -> None:
        qualname = ".".join([*scope, node.name.value])
        self.functions[qualname] = node
        if class_info is not None and scope and scope[-1] == class_info.name:
            self.function_class[qualname] = class_info.qualname
            entry = self._method_entry(node, qualname, class_info)
        else:
            entry = self._function_entry(node, qualname, module_level=not scope)
        if entry is not None:
            self.entry_points.append(entry)
            self._by_function[id(node)] = entry
        self._walk(_suite(node.body), [*scope, node.name.value], None)

    # -- function entry points --------------------------------------------
    def _function_entry(self, node: cst.FunctionDef, qualname: str, module_level: bool) -> Optional[EntryPoint]:
        decorators = tuple(d.decorator for d in node.decorators)
        for decorator in decorators:
            route = self._route(decorator)
            if route is not None:
                framework, methods, dependencies = route
                params, deps = self._fastapi_params(node) if framework == FASTAPI else ((), ())
                entry = EntryPoint(
                    qualname, framework, "route", node, None, node.name, methods, decorators,
                    dependencies + deps, (), "", _operation_of(methods), params,
                )
                entry.authenticated = self._auth_from_decorators(decorators) or self._auth_from_dependencies(
                    entry.dependencies
                )
                return entry
        params = _parameter_names(node)
        first = params[0] if params else ""
        drf = any(self.config.drf_function_decorators.matches(self._resolve_name(d)) for d in decorators)
        django = any(self.config.django_view_decorators.matches(self._resolve_name(d)) for d in decorators)
        if not (drf or django):
            if not module_level or first not in ("request", "req") or not self._returns_response(node):
                return None
        elif first not in ("request", "req"):
            return None
        permissions = self._decorator_permissions(decorators)
        entry = EntryPoint(
            qualname, DRF if drf else DJANGO, "function-view", node, None, node.name,
            self._decorator_methods(decorators), decorators, (), permissions, "", "",
        )
        entry.operation = _operation_of(entry.http_methods)
        entry.authenticated = self._auth_from_decorators(decorators) or self._auth_from_permissions(permissions)
        return entry

    def _route(self, decorator: cst.BaseExpression):
        """(framework, HTTP methods, dependencies) when a decorator declares a route."""
        if not isinstance(decorator, cst.Call) or not isinstance(decorator.func, cst.Attribute):
            return None
        verb = decorator.func.attr.value
        receiver = dotted(decorator.func.value)
        if receiver is None:
            return None
        known = self._objects.get(receiver)
        config = self.config
        if known is not None:
            framework = known[0]
        elif self._fastapi_imported and config.fastapi_receivers.matches(receiver):
            framework = FASTAPI
        elif config.flask_receivers.matches(receiver):
            framework = FLASK
        else:
            return None
        routes = config.fastapi_routes if framework == FASTAPI else config.flask_routes
        if verb not in routes:
            return None
        methods: Tuple[str, ...] = ()
        if verb in ("route", "api_route"):
            methods = _string_list(_keyword(decorator, "methods")) or ("GET",)
        else:
            methods = (verb.upper(),)
        dependencies: Tuple[cst.BaseExpression, ...] = ()
        if framework == FASTAPI:
            dependencies = self._dependency_list(_keyword(decorator, "dependencies"))
            if known is not None:
                dependencies = self._dependency_list(_keyword(known[1], "dependencies")) + dependencies
        return framework, tuple(m.upper() for m in methods), dependencies

    def _dependency_list(self, node: Optional[cst.BaseExpression]) -> Tuple[cst.BaseExpression, ...]:
        if not isinstance(node, (cst.List, cst.Tuple)):
            return ()
        out = []
        for element in node.elements:
            target = self._depends_target(element.value)
            if target is not None:
                out.append(target)
        return tuple(out)

    def _depends_target(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        if isinstance(node, cst.Call) and self.config.dependency_functions.matches(self._resolve_name(node.func)):
            if node.args:
                return node.args[0].value
            return None
        return None

    def _fastapi_params(self, node: cst.FunctionDef):
        """(body parameters, dependencies) of a FastAPI route function."""
        params: List[Tuple[str, Optional[cst.BaseExpression]]] = []
        deps: List[cst.BaseExpression] = []
        for param in [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]:
            annotation = param.annotation.annotation if param.annotation is not None else None
            target = self._depends_target(param.default) if param.default is not None else None
            if target is None and isinstance(annotation, cst.Subscript):  # Annotated[User, Depends(current_user)]
                for element in annotation.slice[1:]:
                    if isinstance(element.slice, cst.Index):
                        target = target or self._depends_target(element.slice.value)
                if target is not None or _annotated_base(annotation) is not None:
                    annotation = _annotated_base(annotation) or annotation
            if target is not None:
                deps.append(target)
                continue
            name = param.name.value
            if name in ("request", "response", "background_tasks", "db", "session", "self"):
                continue
            params.append((name, annotation))
        return tuple(params), tuple(deps)

    def _returns_response(self, node: cst.FunctionDef) -> bool:
        for statement in _iter_all_statements(_suite(node.body)):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Return) and isinstance(small.value, cst.Call):
                        if self.config.django_responses.matches(self._resolve_name(small.value.func)):
                            return True
        return False

    def _decorator_methods(self, decorators: Sequence[cst.BaseExpression]) -> Tuple[str, ...]:
        for decorator in decorators:
            name = self._resolve_name(decorator) or ""
            tail = name.rsplit(".", 1)[-1]
            if tail == "require_POST":
                return ("POST",)
            if tail in ("require_GET", "require_safe"):
                return ("GET",)
            if isinstance(decorator, cst.Call) and tail in ("require_http_methods", "api_view") and decorator.args:
                return tuple(m.upper() for m in _string_list(decorator.args[0].value))
        return ()

    def _decorator_permissions(self, decorators: Sequence[cst.BaseExpression]) -> Tuple[cst.BaseExpression, ...]:
        for decorator in decorators:
            if isinstance(decorator, cst.Call) and (self._resolve_name(decorator.func) or "").endswith(
                "permission_classes"
            ) and decorator.args:
                return _elements(decorator.args[0].value)
        return ()

    # -- class-based entry points ------------------------------------------
    def _method_entry(self, node: cst.FunctionDef, qualname: str, info: ClassInfo) -> Optional[EntryPoint]:
        config = self.config
        name = node.name.value
        decorators = tuple(d.decorator for d in node.decorators)
        if info.role == "form" and name in config.form_save_methods:
            return EntryPoint(qualname, DJANGO, "form-save", node, info, node.name, (), decorators,
                              operation="create", schema=info.name)
        if info.role == "serializer" and name in config.serializer_save_methods:
            return EntryPoint(qualname, DRF, "serializer-save", node, info, node.name, (), decorators,
                              operation="create", schema=info.name)
        if info.role == "flask-view":
            if name not in config.flask_view_methods:
                return None
            framework, kind = FLASK, "method-view"
        elif info.role == "django-view":
            if name not in config.django_view_methods:
                return None
            framework, kind = DJANGO, "class-view"
        elif info.role == "drf-view":
            is_action = any((self._resolve_name(d) or "").rsplit(".", 1)[-1] == "action" for d in decorators)
            if name not in config.drf_view_methods and not is_action:
                return None
            framework, kind = DRF, "viewset"
        else:
            return None
        verb = name.upper() if name in ("get", "post", "put", "patch", "delete") else ""
        operation = _operation_of((verb,)) if verb else ""
        if name in ("create", "perform_create"):
            operation = "create"
        elif name in ("update", "partial_update", "perform_update"):
            operation = "update"
        elif name == "form_valid":
            operation = self._class_operation(info)
        all_decorators = decorators + self._class_decorators(info)
        permissions = self._class_permissions(info) + self._decorator_permissions(decorators)
        entry = EntryPoint(
            qualname, framework, kind, node, info, node.name, (verb,) if verb else (), all_decorators,
            (), permissions, "", operation, schema=self._class_schema(info),
        )
        entry.authenticated = (
            self._auth_from_decorators(all_decorators)
            or self._auth_from_mixins(info)
            or self._auth_from_permissions(permissions)
        )
        return entry

    def _class_operation(self, info: ClassInfo) -> str:
        config = self.config
        if self._inherits(info, config.django_update_bases) or self._inherits(info, config.drf_update_bases):
            return "update"
        return "create"

    def _finish_classes(self) -> None:
        """Implicit handlers: generic create/update views that define no method of their own."""
        config = self.config
        for info in self.classes.values():
            if info.role == "django-view":
                creates = self._inherits(info, config.django_create_bases)
                updates = self._inherits(info, config.django_update_bases)
                own = {"form_valid", "post"}
            elif info.role == "drf-view":
                creates = self._inherits(info, config.drf_create_bases)
                updates = self._inherits(info, config.drf_update_bases)
                own = {"create", "perform_create", "post"}
            else:
                continue
            if not creates and not updates:
                continue
            if any(self._defines(info, method) for method in own):
                continue
            framework = DJANGO if info.role == "django-view" else DRF
            permissions = self._class_permissions(info)
            entry = EntryPoint(
                info.qualname, framework, "implicit", None, info, info.node.name, ("POST",),
                self._class_decorators(info), (), permissions, "", "create" if creates else "update",
                schema=self._class_schema(info),
            )
            entry.authenticated = (
                self._auth_from_decorators(entry.decorators)
                or self._auth_from_mixins(info)
                or self._auth_from_permissions(permissions)
            )
            self.entry_points.append(entry)

    def _inherits(self, info: ClassInfo, names: NameSet, depth: int = 0) -> bool:
        if info.base_matches(names):
            return True
        if depth > 5:
            return False
        for base in info.bases:
            local = self.find_class(base)
            if local is not None and local is not info and self._inherits(local, names, depth + 1):
                return True
        return False

    def _defines(self, info: ClassInfo, method: str, depth: int = 0) -> bool:
        if method in info.methods:
            return True
        if depth > 5:
            return False
        for base in info.bases:
            local = self.find_class(base)
            if local is not None and local is not info and self._defines(local, method, depth + 1):
                return True
        return False

    def class_attribute(self, info: ClassInfo, name: str, depth: int = 0) -> Optional[cst.BaseExpression]:
        """A class attribute, looked up through same-file base classes."""
        if name in info.attributes:
            return info.attributes[name]
        if depth > 5:
            return None
        for base in info.bases:
            local = self.find_class(base)
            if local is not None and local is not info:
                found = self.class_attribute(local, name, depth + 1)
                if found is not None:
                    return found
        return None

    def _class_schema(self, info: ClassInfo) -> Optional[str]:
        for attribute in ("serializer_class", "form_class"):
            value = self.class_attribute(info, attribute)
            if value is not None:
                return dotted(value)
        return None

    def _class_permissions(self, info: ClassInfo) -> Tuple[cst.BaseExpression, ...]:
        value = self.class_attribute(info, "permission_classes")
        return _elements(value) if value is not None else ()

    def _class_decorators(self, info: ClassInfo) -> Tuple[cst.BaseExpression, ...]:
        """Decorators applied to a class's handlers: `method_decorator(...)` and Flask's `decorators = [...]`."""
        out: List[cst.BaseExpression] = []
        for decorator in info.decorators:
            if isinstance(decorator, cst.Call) and (self._resolve_name(decorator.func) or "").endswith(
                "method_decorator"
            ) and decorator.args:
                first = decorator.args[0].value
                out.extend(_elements(first) if isinstance(first, (cst.List, cst.Tuple)) else [first])
        listed = self.class_attribute(info, "decorators")
        if listed is not None:
            out.extend(_elements(listed))
        return tuple(out)

    # -- authentication ------------------------------------------------------
    def _auth_from_decorators(self, decorators: Sequence[cst.BaseExpression]) -> str:
        from .names import split_words

        for decorator in decorators:
            name = self._resolve_name(decorator)
            if not name or name.rsplit(".", 1)[-1] in ("permission_classes", "authentication_classes"):
                continue  # DRF: the classes listed say it (see _auth_from_permissions)
            words = set(split_words(name.rsplit(".", 1)[-1]))
            if words & self.config.auth_decorator_words:
                return "@" + name.rsplit(".", 1)[-1]
        return ""

    def _auth_from_dependencies(self, dependencies: Sequence[cst.BaseExpression]) -> str:
        from .names import split_words

        for dependency in dependencies:
            name = self._resolve_name(dependency)
            if name and set(split_words(name.rsplit(".", 1)[-1])) & self.config.auth_dependency_words:
                return f"Depends({name.rsplit('.', 1)[-1]})"
        return ""

    def _auth_from_mixins(self, info: ClassInfo) -> str:
        for base in info.bases:
            if self.config.login_mixins.matches(base):
                return base.rsplit(".", 1)[-1]
        return ""

    def _auth_from_permissions(self, permissions: Sequence[cst.BaseExpression]) -> str:
        for permission in permissions:
            name = self._resolve_name(permission)
            if name and not self.config.open_permissions.matches(name):
                return name.rsplit(".", 1)[-1]
        return ""

    # -- helpers ------------------------------------------------------------
    def _resolve_name(self, node: Optional[cst.BaseExpression]) -> Optional[str]:
        """Dotted name of a decorator, base or dependency: calls are looked through."""
        if node is None:
            return None
        if isinstance(node, cst.Call):
            node = node.func
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self.ctx.imports.resolve(node) or dotted(node)
        return None

    def resolve_name(self, node: Optional[cst.BaseExpression]) -> Optional[str]:
        return self._resolve_name(node)

    # -- facts ----------------------------------------------------------------
    def _record_schemas(self) -> None:
        from .flow import module_name

        module = module_name(self.ctx.path)
        for info in self.classes.values():
            if info.role in ("form", "serializer", "pydantic") and info.field_names:
                self.ctx.record(
                    FACT_SCHEMA, _NOWHERE, module=module, name=info.qualname, role=info.role,
                    fields=list(info.field_names),
                    model=dotted(info.meta["model"]) if isinstance(info.meta.get("model"), (cst.Name, cst.Attribute)) else "",
                )


# -- small syntax helpers --------------------------------------------------------


# libcst's node classes are final, so `type(node) is X` (or `in` a set of them)
# says what isinstance would, without ABCMeta's slow path on a miss.
_COMPOUND = frozenset({cst.If, cst.Try, cst.With, cst.For, cst.While})
_ASSIGNMENTS = frozenset({cst.Assign, cst.AnnAssign})


def _suite(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    kind = type(suite)
    if kind is cst.IndentedBlock:
        return suite.body
    if kind is cst.SimpleStatementSuite:
        return [cst.SimpleStatementLine(body=suite.body)]
    return []


def _compound_bodies(statement: cst.CSTNode) -> Iterator[Sequence[cst.BaseStatement]]:
    kind = type(statement)
    if kind is cst.If:
        yield _suite(statement.body)
        orelse = statement.orelse
        if type(orelse) is cst.If:
            yield from _compound_bodies(orelse)
        elif type(orelse) is cst.Else:
            yield _suite(orelse.body)
    elif kind is cst.Try:
        yield _suite(statement.body)
        for handler in statement.handlers:
            yield _suite(handler.body)
        if statement.orelse is not None:
            yield _suite(statement.orelse.body)
        if statement.finalbody is not None:
            yield _suite(statement.finalbody.body)
    elif kind is cst.With or kind is cst.For or kind is cst.While:
        yield _suite(statement.body)
        orelse = getattr(statement, "orelse", None)
        if orelse is not None:
            yield _suite(orelse.body)


def _iter_all_statements(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every statement, descending into compound statements and function bodies (not classes)."""
    for statement in body:
        yield statement
        kind = type(statement)
        if kind is cst.FunctionDef:
            yield from _iter_all_statements(_suite(statement.body))
        elif kind in _COMPOUND:
            for inner in _compound_bodies(statement):
                yield from _iter_all_statements(inner)


def _assignments(statement: cst.CSTNode) -> Iterator[Tuple[str, cst.BaseExpression]]:
    if type(statement) is cst.SimpleStatementLine:
        for small in statement.body:
            kind = type(small)
            if kind is cst.Assign:
                for target in small.targets:
                    if type(target.target) is cst.Name:
                        yield target.target.value, small.value
            elif kind is cst.AnnAssign and small.value is not None and type(small.target) is cst.Name:
                yield small.target.value, small.value


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _elements(node: Optional[cst.BaseExpression]) -> Tuple[cst.BaseExpression, ...]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return tuple(e.value for e in node.elements if not isinstance(e, cst.StarredElement))
    if node is None:
        return ()
    return (node,)


string_value = joined_string_value



def _string_list(node: Optional[cst.BaseExpression]) -> Tuple[str, ...]:
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return ()
    out = []
    for element in node.elements:
        value = string_value(element.value)
        if value is not None:
            out.append(value)
    return tuple(out)


def string_list(node: Optional[cst.BaseExpression]) -> Tuple[str, ...]:
    return _string_list(node)


def _parameter_names(node: cst.FunctionDef) -> List[str]:
    return [p.name.value for p in (*node.params.posonly_params, *node.params.params)]


def _operation_of(methods: Sequence[str]) -> str:
    verbs = {m.upper() for m in methods if m}
    if verbs & {"PUT", "PATCH"} and "POST" not in verbs:
        return "update"
    if "POST" in verbs:
        return "create"
    return ""


def _annotated_base(annotation: cst.Subscript) -> Optional[cst.BaseExpression]:
    if dotted(annotation.value) in ("Annotated", "typing.Annotated", "typing_extensions.Annotated"):
        first = annotation.slice[0].slice if annotation.slice else None
        if isinstance(first, cst.Index):
            return first.value
    return None


def _imports_package(ctx, package: str) -> bool:
    return any(value.split(".", 1)[0] == package for value in ctx.imports.bindings.values())
