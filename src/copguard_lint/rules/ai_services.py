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

from ..analysis.sinks import sinks_for, spec_labels
from ..findings import Confidence, Severity
from .exposure import ExposureRule

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

    @classmethod
    def advice(cls) -> str:
        return f"{_WHY}. {_ADVICE[0].upper()}{_ADVICE[1:]}"

    @classmethod
    def sink_label(cls, label: str, project) -> str:
        """Cross-file facts record the sink's id; the message names the provider."""
        return spec_labels(sinks_for(project.settings)).get(label, label)


AI_RULES = (ChildDataToAiService,)
