"""COP1xx: children's personal data reaching places it must not go.

One rule per sink family, all reading the same per-file data-flow analysis.
Whose data counts follows `audience`: with `children` and `mixed` (the
default), data of any user may be a child's; with `general`, only data whose
name or owner says it is a child's. An adult's data (a parent's email in a
consent request, a teacher's name) never counts.
"""

from __future__ import annotations

from typing import ClassVar, Dict, Iterable, List, Sequence, Tuple

from ..analysis.flow import Datum, FlowAnalysis, SinkHit, flow_triggers
from ..findings import Confidence, Severity
from ..rule import ProjectFinding, Rule

FAMILY_ADVICE: Dict[str, str] = {
    "log": "log an opaque id, or mask or hash the value first",
    "exception": "put an opaque id in the message, not the data itself",
    "error-tracker": "send an opaque user id only, and scrub personal data in the tracker's before_send hook",
    "http": "send only what the recipient needs under a data-sharing agreement, and pseudonymise identifiers",
    "url": "keep personal data out of URLs and cookies; use a server-side session or an opaque token",
}

# Which words the prefilter needs per family: a file without any of them cannot have a direct hit.
FAMILY_WORDS: Dict[str, Tuple[str, ...]] = {
    "log": ("log", "print", "warn", "echo", "write"),
    "exception": ("raise", "exception", "assert"),
    "error-tracker": ("sentry", "raven", "ddtrace", "newrelic", "opentelemetry", "rollbar", "bugsnag", "honeybadger"),
    "http": ("requests", "httpx", "aiohttp", "urllib", "urlopen"),
    "url": ("redirect", "url_for", "urlencode", "reverse", "cookie"),
}


def counts_for(datum: Datum, audience: str) -> bool:
    """Whether this datum is (possibly) a child's under the configured audience."""
    if datum.subject == "adult":
        return False
    if datum.subject == "child":
        return True
    return audience in ("children", "mixed")


def reportable(data: Sequence[Datum], audience: str, family: str) -> List[Datum]:
    """The data worth a finding: possibly a child's, and identifying enough.

    A call carrying only quasi-identifiers (an age, a school year, a
    username) is not reported; beside other personal data they are named too.
    """
    from ..analysis.flow import default_flow_config

    config = default_flow_config()
    skipped = config.not_exposed.get(family, frozenset())
    counted = [
        d for d in data if counts_for(d, audience) and d.category not in skipped and d.category != "query"
    ]
    quasi = config.quasi_identifiers
    if all(d.label in quasi for d in counted):
        return []
    return counted


def describe(data: Sequence[Datum]) -> str:
    """`child's email address and date of birth` — owner first, at most three kinds."""
    owners = {d.subject for d in data}
    labels: List[str] = []
    for datum in data:
        if datum.label not in labels:
            labels.append(datum.label)
    shown = labels[:3]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    if len(labels) > 3:
        text += f" (+{len(labels) - 3} more)"
    if owners == {"child"}:
        return f"a child's {text}"
    if "child" in owners:
        return f"personal data ({text}, including a child's)"
    return f"personal data ({text}) of a user who may be a child"


class ExposureRule(Rule):
    """Base of the COP1xx rules: report flow hits of one sink family."""

    family: ClassVar[str] = ""
    requires = (FlowAnalysis,)

    @classmethod
    def triggers(cls, settings):
        """A finding needs personal data in the file: the flow analysis's triggers."""
        return flow_triggers(settings)

    def finish(self) -> None:
        analysis = self.ctx.analysis(FlowAnalysis)
        if analysis.config.is_test_module(self.ctx.path):
            return  # fixture data, by construction
        audience = self.ctx.settings.audience
        for hit in analysis.hits:
            if hit.spec.family != self.family:
                continue
            data = reportable(hit.data, audience, self.family)
            if not data:
                continue
            self.report(hit.node, self.message(hit, data))

    @classmethod
    def check_project(cls, project) -> Iterable[ProjectFinding]:
        """Calls passing personal data to a helper in another file that forwards it to a sink."""
        audience = project.settings.audience
        grouped: Dict[object, Tuple[str, str, List[Datum]]] = {}
        from ..analysis.flow import default_flow_config

        config = default_flow_config()
        for call, family, label, data, callee in cross_file_hits(project):
            if family != cls.family or config.is_test_module(call.path):
                continue
            counted = reportable(data, audience, family)
            if not counted:
                continue
            # One finding per call, however many sinks inside the helper it reaches.
            if call in grouped:
                grouped[call][2].extend(d for d in counted if d not in grouped[call][2])
            else:
                grouped[call] = (label, callee, list(counted))
        for call, (label, callee, counted) in grouped.items():
            message = (
                f"{describe(counted)} reaches {cls.sink_label(label, project)} via {callee} "
                f"inside {call.get('spelled')}(): {cls.advice()}"
            )
            yield ProjectFinding.at(call, message)

    @classmethod
    def advice(cls) -> str:
        """What follows the colon of every finding: why it matters (where not obvious) and the fix."""
        return FAMILY_ADVICE[cls.family]

    @classmethod
    def sink_label(cls, label: str, project) -> str:
        """How a sink recorded in a cross-file fact is named in a message."""
        return label

    def message(self, hit: SinkHit, data: Sequence[Datum]) -> str:
        origins = sorted({d.origin for d in data})
        where = f" (from {', '.join(origins[:2])})" if origins and hit.via == "" else ""
        through = f" through {hit.via}()" if hit.via else ""
        return f"{describe(data)}{where} reaches {hit.spec.label} via {hit.callee}{through}: {self.advice()}"


class ChildDataInLogs(ExposureRule):
    """Personal data written to logs, print or warnings."""

    code = "COP101"
    name = "child-data-in-logs"
    summary = "A child's personal data is written to a log, print() or warnings"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = (
        "KH-COP-4.1", "COPPA-312.8", "UK-AADC-8", "ITU-COP-KA3",
        "COPPA-312.2.PI-CONTACT", "COPPA-312.2.PI-MEDIA", "COPPA-312.2.PI-BIOMETRIC",
    )
    family = "log"


class ChildDataInExceptions(ExposureRule):
    """Personal data in exception messages and `logger.exception` calls."""

    code = "COP102"
    name = "child-data-in-exceptions"
    summary = "A child's personal data is put in an exception message or exception log"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-4.1", "COPPA-312.8", "COPPA-312.2.PI-CONTACT")
    family = "exception"


class ChildDataToErrorTracker(ExposureRule):
    """Personal data sent to error trackers and observability services."""

    code = "COP103"
    name = "child-data-to-error-tracker"
    summary = "A child's personal data is sent to an error tracker or observability service"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    clauses = (
        "KH-COP-4.1", "KH-COP-4.2", "UK-AADC-9", "COPPA-312.8", "COPPA-312.5.B",
        "COPPA-312.2.PI-CONTACT", "COPPA-312.2.PI-BIOMETRIC",
    )
    family = "error-tracker"


class ChildDataToThirdPartyHttp(ExposureRule):
    """Personal data sent over HTTP to a host that is not local."""

    code = "COP104"
    name = "child-data-to-third-party-http"
    summary = "A child's personal data is sent over HTTP to an external service"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = (
        "KH-COP-4.2", "UK-AADC-9", "COPPA-312.5.B", "CA-AADC-B3",
        "COPPA-312.2.PI-CONTACT", "COPPA-312.2.PI-MEDIA", "COPPA-312.2.PI-BIOMETRIC",
    )
    family = "http"


class ChildDataInUrlOrCookie(ExposureRule):
    """Personal data placed in redirects, URLs and cookies."""

    code = "COP105"
    name = "child-data-in-url-or-cookie"
    summary = "A child's personal data is placed in a URL, redirect or cookie"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-4.1", "COPPA-312.8", "COPPA-312.2.PI-CONTACT")
    family = "url"


EXPOSURE_RULES = (
    ChildDataInLogs,
    ChildDataInExceptions,
    ChildDataToErrorTracker,
    ChildDataToThirdPartyHttp,
    ChildDataInUrlOrCookie,
)


# -- across files ------------------------------------------------------------


def cross_file_hits(project) -> List[Tuple[object, str, str, List[Datum], str]]:
    """(call fact, family, sink label, data, helper callee) for calls into other files' helpers.

    Joins `flow.call` facts (a call passing personal data to something
    imported) with `flow.summary` facts (a function whose parameter reaches a
    sink). Cached on the project: all five rules share one join.
    """
    cached = getattr(project, "_cop1_cross_file", None)
    if cached is not None:
        return cached
    from ..analysis.flow import FACT_CALL, FACT_SUMMARY, absolute_callee, argument_matches
    from ..analysis.sinks import default_sinks

    labels = {spec.id: spec.label for spec in default_sinks().specs}
    labels["raise"] = "an exception message"
    summaries: Dict[str, object] = {}
    for fact in project.facts(FACT_SUMMARY):
        summaries[f"{fact.get('module')}.{fact.get('function')}".lstrip(".")] = fact
    out = []
    for call in project.facts(FACT_CALL):
        target = absolute_callee(call.get("callee"), call.get("module"), bool(call.get("package")))
        summary = _find_summary(summaries, target)
        if summary is None:
            continue
        for sink in summary.get("sinks"):
            sink = dict(sink)
            data: List[Datum] = []
            params = list(summary.get("params"))
            bound = (int(call.get("positional") or 0), frozenset(call.get("keywords") or ()))
            for arg in call.get("args"):
                arg = dict(arg)
                if argument_matches(
                    arg.get("position"), arg.get("keyword"), sink["index"], sink["name"],
                    sink.get("kind", "normal"), params, bound,
                ):
                    data.extend(Datum(*item) for item in arg["data"])
            if data:
                out.append((call, sink["family"], labels.get(sink["spec"], sink["spec"]), data, sink["callee"]))
    project._cop1_cross_file = out
    return out


def _find_summary(summaries: Dict[str, object], target: str):
    """The summary for a dotted name, matching on a whole-component suffix (`app.utils.audit`)."""
    if target in summaries:
        return summaries[target]
    matches = [name for name in summaries if name.endswith("." + target) or target.endswith("." + name)]
    if len(matches) == 1:
        return summaries[matches[0]]
    return None
