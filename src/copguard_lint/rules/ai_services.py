"""COP106: a child's personal data sent to a hosted AI model.

A prompt is a disclosure. Whatever goes into it (a name, a message the child
typed, a school, a photo) is sent to the model provider, who may keep it,
review it and, unless the contract says otherwise, train on it. The ITU
checklist for AI-driven systems asks services to limit what children's data
such systems get; the UK Children's Code and the California AADC treat it as
sharing with a third party.

Same model as the other COP1xx rules: the sinks are the AI SDK calls of
data/ai_services.toml (OpenAI, Anthropic, Gemini and Vertex AI, Cohere,
Mistral, Hugging Face Inference, Replicate, Amazon Bedrock, LiteLLM,
LangChain) and HTTP requests to those providers' APIs, loaded into the same
sink catalog; the data flow, wrappers and cross-file calls are the ones of
analysis/flow.py. Moderation endpoints and models run locally are not sinks:
sending content to a moderation API is the filter COP406 asks for, and a local
model shares nothing.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Sequence, Tuple

from ..analysis.flow import Datum, SinkHit, default_flow_config
from ..analysis.sinks import sinks_for, spec_labels
from ..findings import Confidence, Severity
from ..rule import ProjectFinding
from .exposure import ExposureRule, cross_file_hits, describe, reportable

FAMILY = "ai"
_WHY = (
    "the model provider receives and may keep it (for abuse monitoring, review or training), "
    "outside the child's and the parents' control"
)
_ADVICE = (
    "send the model only what the task needs: drop or pseudonymise names, contact details and other "
    "identifiers before building the prompt, use a provider contract with zero data retention and no "
    "training on inputs, and tell children and parents that an AI service sees what they type"
)


class ChildDataToAiService(ExposureRule):
    """A child's personal data put into a prompt or request to a hosted AI model."""

    code = "COP106"
    name = "child-data-to-ai-service"
    summary = "A child's personal data is sent to a hosted AI or LLM service"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("ITU-COP-FD", "KH-COP-4.2", "UK-AADC-9", "CA-AADC-B3")
    family = FAMILY

    def message(self, hit: SinkHit, data: Sequence[Datum]) -> str:
        origins = sorted({d.origin for d in data})
        where = f" (from {', '.join(origins[:2])})" if origins and hit.via == "" else ""
        through = f" through {hit.via}()" if hit.via else ""
        return (
            f"{describe(data)}{where} reaches {hit.spec.label} via {hit.callee}{through}: {_WHY}. "
            f"{_ADVICE[0].upper()}{_ADVICE[1:]}"
        )

    @classmethod
    def check_project(cls, project) -> Iterable[ProjectFinding]:
        """Calls passing personal data to a helper in another file that sends it to an AI service."""
        audience = project.settings.audience
        config = default_flow_config()
        labels = spec_labels(sinks_for(project.settings))
        grouped: Dict[object, Tuple[str, str, List[Datum]]] = {}
        for call, family, label, data, callee in cross_file_hits(project):
            if family != FAMILY or config.is_test_module(call.path):
                continue
            counted = reportable(data, audience, family)
            if not counted:
                continue
            if call in grouped:
                grouped[call][2].extend(d for d in counted if d not in grouped[call][2])
            else:
                grouped[call] = (labels.get(label, label), callee, list(counted))
        for call, (label, callee, counted) in grouped.items():
            yield ProjectFinding.at(call, (
                f"{describe(counted)} reaches {label} via {callee} inside {call.get('spelled')}(): {_WHY}. "
                f"{_ADVICE[0].upper()}{_ADVICE[1:]}"
            ))


AI_RULES = (ChildDataToAiService,)
