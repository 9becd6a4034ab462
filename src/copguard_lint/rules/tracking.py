"""COP3xx: analytics, tracking, advertising and profiling of minors.

* COP301: a child's personal data or persistent identifier reaches an
  analytics or advertising SDK or endpoint (flow hits of the `analytics` and
  `ads` sink families from data/sdks.toml, directly, through same-file
  wrappers, and across files).
* COP302: a tracking call about a user who may be a minor with no consent or
  age check on its path (analysis/tracking.py decides subjects and guards).
* COP303: ad requests that allow profiling or personalised ads, and
  personalisation switched on by default.
* COP304: SDK options that make an SDK collect personal data from everyone.

Whose data counts follows `audience`, as for COP1xx: with `children` and
`mixed`, any user may be a child; with `general`, only a user the code calls a
child. Adults (a parent's purchase, a teacher) never count.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Sequence, Set, Tuple

from ..analysis.flow import Datum, FlowAnalysis, SinkHit, absolute_callee, argument_matches
from ..analysis.sinks import sinks_for, spec_labels
from ..analysis.tracking import (
    ENFORCER,
    FACT_CALL,
    FACT_GUARD,
    FACT_PENDING,
    FACT_WRAPPER,
    TRACKING_FAMILIES,
    TrackingAnalysis,
    TrackingLinkFacts,
)
from ..findings import Confidence, Severity
from ..rule import ProjectFinding, Rule
from .exposure import counts_for, cross_file_hits, describe

_WHY = {
    "analytics": "the vendor keeps it in a profile of the child that outlives your service",
    "ads": "ad platforms use it to profile the child and target advertising at them",
}
_INSTEAD = (
    "send a random analytics id (not an email, name, IP address or device id) and non-personal "
    "event properties, and only after consent"
)
_CHECK_ADVICE = (
    "check the user's analytics consent (a parent's consent under the consent age) before the call, "
    "e.g. `if not user.analytics_consent: return`, or skip tracking for minors"
)


def _who(subject: str) -> str:
    return "a child" if subject == "child" else "a user who may be a child"


def _subject_counts(subject: Optional[str], audience: str) -> bool:
    if subject == "child":
        return True
    return subject == "person" and audience in ("children", "mixed")


class ChildDataToTracking(Rule):
    """Personal data or persistent identifiers sent to analytics and ad SDKs and endpoints."""

    code = "COP301"
    name = "child-data-to-tracking"
    summary = "A child's personal data or persistent identifier is sent to an analytics, tracking or ad service"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = (
        "UK-AADC-9", "COPPA-312.2.PI-PERSISTENT", "COPPA-312.5.A2", "COPPA-312.5.C",
        "CA-AADC-B3", "KH-COP-4.2",
    )
    requires = (FlowAnalysis,)

    def finish(self) -> None:
        analysis = self.ctx.analysis(FlowAnalysis)
        audience = self.ctx.settings.audience
        for hit in analysis.hits:
            if hit.spec.family not in TRACKING_FAMILIES:
                continue
            data = [d for d in hit.data if counts_for(d, audience)]
            if data:
                self.report(hit.node, self.message(hit, data))

    @classmethod
    def check_project(cls, project) -> Iterable[ProjectFinding]:
        audience = project.settings.audience
        labels = spec_labels(sinks_for(project.settings))  # entries from `[tool.copguard] sdks` too
        for call, family, label, data, callee in cross_file_hits(project):
            if family not in TRACKING_FAMILIES:
                continue
            label = labels.get(label, label)
            counted = [d for d in data if counts_for(d, audience)]
            if counted:
                yield ProjectFinding.at(
                    call,
                    f"{describe(counted)}{_persistent(counted)} is sent to {label} via {callee} inside "
                    f"{call.get('spelled')}(): {_WHY[family]}; {_INSTEAD}",
                )

    def message(self, hit: SinkHit, data: Sequence[Datum]) -> str:
        origins = sorted({d.origin for d in data})
        where = f" (from {', '.join(origins[:2])})" if origins and not hit.via else ""
        through = f" through {hit.via}()" if hit.via else ""
        return (
            f"{describe(data)}{_persistent(data)}{where} is sent to {hit.spec.label} via {hit.callee}{through}: "
            f"{_WHY.get(hit.spec.family, _WHY['analytics'])}; {_INSTEAD}"
        )


def _persistent(data: Sequence[Datum]) -> str:
    return ", a persistent identifier," if any(d.category == "device_id" for d in data) else ""


class TrackingWithoutConsentCheck(Rule):
    """Tracking calls about possible minors with no consent or age check on their path."""

    code = "COP302"
    name = "tracking-without-consent-check"
    summary = "A tracking or ad call about a user who may be a child has no consent or age check on its path"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("COPPA-312.5", "COPPA-312.5.A2", "GDPR-8.1", "UK-AADC-9", "KH-COP-4.2")
    requires = (TrackingAnalysis,)
    facts_from = (TrackingLinkFacts,)

    def finish(self) -> None:
        analysis = self.ctx.analysis(TrackingAnalysis)
        audience = self.ctx.settings.audience
        for tracked in analysis.tracking:
            subject = tracked.subject.concrete
            if tracked.guard.guarded or tracked.guard.helpers or not _subject_counts(subject, audience):
                continue
            self.report(
                tracked.call.node,
                _direct_message(tracked.call.callee, subject, tracked.call.spec.label, tracked.call.spec.family),
            )
        for call in analysis.wrapper_calls:
            subject = call.subject.concrete
            if call.pending or not _subject_counts(subject, audience):
                continue
            self.report(call.node, _wrapper_message(call.spelled, subject, call.wrapper.label, call.wrapper.family))

    @classmethod
    def check_project(cls, project) -> Iterable[ProjectFinding]:
        audience = project.settings.audience
        guard_kinds = {_dotted(f.get("module"), f.get("function")): f.get("guard") for f in project.facts(FACT_GUARD)}
        guards = _Names(guard_kinds)
        shared_index = _Names(_shared_summaries(project))

        shared = _shared_summaries(project)

        def guarded(helpers) -> bool:
            for helper in helpers or ():
                enforcer = helper.startswith(ENFORCER)
                name = helper.lstrip(ENFORCER)
                found = guards.find(name, prefix=enforcer)
                if found is not None and (not enforcer or guard_kinds[found] == "enforcer"):
                    return True
                summary = shared.get(shared_index.find(name) or "")
                if summary and summary["kinds"] and (
                    summary["raises"] or summary["decorator"] or summary["permission"]
                    or (summary["predicate"] and not enforcer)
                ):
                    return True
            return False

        for fact in project.facts(FACT_PENDING):
            subject = fact.get("subject")
            if guarded(fact.get("helpers")) or not _subject_counts(subject, audience):
                continue
            if fact.get("via"):
                message = _wrapper_message(fact.get("via"), subject, fact.get("label"), fact.get("family"))
            else:
                message = _direct_message(fact.get("callee"), subject, fact.get("label"), fact.get("family"))
            yield ProjectFinding.at(fact, message)

        wrappers: Dict[str, dict] = {}
        for fact in project.facts(FACT_WRAPPER):
            if guarded(fact.get("pending")):
                continue
            wrappers[_dotted(fact.get("module"), fact.get("function"))] = {
                "params": list(fact.get("params")),
                "subject_params": set(fact.get("subject_params")),
                "param_subjects": {int(i): s for i, s in fact.get("param_subjects")},
                "label": fact.get("label"),
                "family": fact.get("family"),
            }
        index = _Names(wrappers)
        reported: Set[Tuple[str, int, int]] = set()
        calls = list(project.facts(FACT_CALL))
        for _ in range(4):  # wrappers calling wrappers across files
            changed = False
            for call in calls:
                target = absolute_callee(call.get("callee"), call.get("module"), bool(call.get("package")))
                name = index.find(target)
                if name is None or guarded(call.get("helpers")):
                    continue
                wrapper = wrappers[name]
                subjects: Set[str] = set()
                params: Dict[int, str] = {}
                for arg in call.get("args"):
                    arg = dict(arg)
                    if not any(
                        argument_matches(
                            None if arg.get("star") else arg.get("position"), arg.get("keyword"), i,
                            *_name_kind(wrapper["params"], i), wrapper["params"],
                        )
                        for i in wrapper["subject_params"]
                    ):
                        continue
                    subjects.update(arg.get("subjects"))
                    params.update({int(i): s for i, s in arg.get("param_subjects")})
                if not subjects and not params:
                    own = wrapper["param_subjects"]
                    subjects.update(s for i, s in own.items() if s and i in wrapper["subject_params"])
                subject = "child" if "child" in subjects else ("person" if "person" in subjects else None)
                if subject is not None:
                    key = (call.path, call.line, call.column)
                    if key not in reported and _subject_counts(subject, audience):
                        reported.add(key)
                        yield ProjectFinding.at(
                            call, _wrapper_message(call.get("spelled"), subject, wrapper["label"], wrapper["family"])
                        )
                elif params:
                    caller = _dotted(call.get("module"), call.get("function"))
                    if not call.get("function"):
                        continue
                    old = wrappers.get(caller)
                    if old is None:
                        wrappers[caller] = {
                            "params": list(call.get("caller_params")), "subject_params": set(params),
                            "param_subjects": dict(params), "label": wrapper["label"], "family": wrapper["family"],
                        }
                        index = _Names(wrappers)
                        changed = True
                    elif not set(params) <= old["subject_params"]:
                        old["subject_params"] |= set(params)
                        old["param_subjects"].update(params)
                        changed = True
            if not changed:
                break


def _sends(callee: str, subject: Optional[str], label: str, family: str) -> str:
    who = _who(subject or "person")
    if family == "ads":
        return f"{callee}() puts data about {who} in {label}"
    return f"{callee}() sends tracking data about {who} to {label}"


def _direct_message(callee: str, subject: Optional[str], label: str, family: str) -> str:
    return f"{_sends(callee, subject, label, family)} with no consent or age check on the way: {_CHECK_ADVICE}"


def _wrapper_message(spelled: str, subject: Optional[str], label: str, family: str) -> str:
    return (
        f"{_sends(spelled, subject, label, family)} with no consent or age check on the way, neither here "
        f"nor inside {spelled.rsplit('.', 1)[-1]}(): {_CHECK_ADVICE}"
    )


def _shared_summaries(project) -> Dict[str, dict]:
    """The shared guard analysis's helper summaries (analysis/guards.py), when it is there."""
    try:
        from ..analysis.guards import project_summaries
    except ImportError:  # pragma: no cover
        return {}
    return project_summaries(project)


def _dotted(module: Optional[str], function: Optional[str]) -> str:
    return ".".join(p for p in (module, function) if p)


def _name_kind(params: Sequence[str], index: int) -> Tuple[str, str]:
    name = params[index] if index < len(params) else ""
    if name.startswith("**"):
        return name[2:], "kwargs"
    if name.startswith("*"):
        return name[1:], "args"
    return name, "normal"


class _Names:
    """Dotted names looked up by whole-component suffix (`app.utils.audit` ~ `utils.audit`)."""

    def __init__(self, names) -> None:
        self.names = list(names)

    def find(self, target: str, prefix: bool = False) -> Optional[str]:
        """The one name `target` refers to; with `prefix`, any name inside it too (a decorator's wrapper)."""
        if target in self.names:
            return target
        matches = [n for n in self.names if n.endswith("." + target) or target.endswith("." + n)]
        if len(matches) == 1 or (prefix and matches):
            return matches[0]
        if prefix:
            inside = [n for n in self.names if ("." + target + ".") in ("." + n + ".")]
            if inside:
                return inside[0]
        return None


class ProfilingOrPersonalisedAds(Rule):
    """Ad requests that allow profiling, and personalisation switched on by default."""

    code = "COP303"
    name = "profiling-or-personalised-ads"
    summary = "Profiling or personalised advertising is enabled for users who may be children"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-12", "UK-AADC-5", "DSA-28.2", "CA-AADC-B2", "CA-AADC-B1", "COPPA-312.2.INTERNAL-OPS", "ITU-COP-FB")
    requires = (TrackingAnalysis,)

    def finish(self) -> None:
        analysis = self.ctx.analysis(TrackingAnalysis)
        audience = self.ctx.settings.audience
        for problem in analysis.problems:
            detail = problem.detail
            if problem.kind not in ("ad-flags", "ad-missing-flag", "profiling-default"):
                continue
            if audience == "general" and not detail.get("child"):
                continue
            if problem.kind == "ad-flags":
                message = (
                    f"{detail['request']} allows profiling of users who may be children: {detail['unsafe']}. "
                    "Ads shown to children must not be based on profiling: mark the request child-directed "
                    "(regs.coppa = 1, tag_for_child_directed_treatment / tfcd = 1) and non-personalised "
                    "(npa = 1, personalised ads off), and send no user data"
                )
            elif problem.kind == "ad-missing-flag":
                message = (
                    f"{detail['request']} for users who may be children does not say it is child-directed "
                    f"({detail['wanted']} is not set): without it the ad exchange may profile the user "
                    "and show personalised ads; set the child-directed and non-personalised flags"
                )
            else:
                owner = f" on {detail['owner']}" if detail.get("owner") else ""
                message = (
                    f"`{detail['name']}`{owner} switches profiling or personalised advertising on by default: "
                    "for children it must start off and only be switched on for a compelling reason; "
                    "default it to False"
                )
            self.report(problem.node, message)


class SdkCollectsPersonalData(Rule):
    """SDK options that make an analytics or error SDK collect personal data from every user."""

    code = "COP304"
    name = "sdk-collects-personal-data"
    summary = "An SDK is configured to collect personal data (IP, user details, location) from every user"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    clauses = ("UK-AADC-7", "UK-AADC-8", "KH-COP-4.1", "KH-COP-4.2", "COPPA-312.2.PI-PERSISTENT")
    requires = (TrackingAnalysis,)

    def finish(self) -> None:
        if self.ctx.settings.audience == "general":
            return
        analysis = self.ctx.analysis(TrackingAnalysis)
        for problem in analysis.problems:
            if problem.kind != "pii-setting":
                continue
            detail = problem.detail
            self.report(
                problem.node,
                f"{detail['sdk']} is configured to collect {detail['collects']} from every user, children "
                f"included ({detail['setting']}): {detail['instead']}",
            )


TRACKING_RULES = (
    ChildDataToTracking,
    TrackingWithoutConsentCheck,
    ProfilingOrPersonalisedAds,
    SdkCollectsPersonalData,
)
