"""COP106: a child's personal data sent to a hosted AI model.

Positive cases per provider, negative cases (no personal data, local models,
moderation endpoints, look-alike clients that are not imported), near misses,
HTTP requests to providers' APIs, wrappers in the same file and across files,
and the catalog's shape.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from copguard_lint.analysis.sinks import default_sinks
from copguard_lint.config import Settings
from copguard_lint.engine import Engine


def lint(source: str, *, audience: str = "mixed", path: str = "app/bot.py", select=("COP106",)) -> List[str]:
    engine = Engine(Settings(select=tuple(select), audience=audience))
    result = engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])
    return [f.rule for f in result.findings]


def messages(source: str, **kwargs) -> List[str]:
    engine = Engine(Settings(select=("COP106",), **kwargs))
    result = engine.finish_run([engine.lint_source("app/bot.py", textwrap.dedent(source))])
    return [f.message for f in result.findings]


def run_tree(tmp_path: Path, files: Dict[str, str]):
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    engine = Engine(Settings(select=("COP106",)))
    found = sorted((p, p.relative_to(tmp_path).as_posix()) for p in tmp_path.rglob("*.py"))
    return [(f.rule, f.path, f.line) for f in engine.run(found).findings]


POSITIVE = {
    "openai-client-chat": """
        from openai import OpenAI
        client = OpenAI()
        def tutor(user, question):
            return client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"I am {user.first_name}. {question}"}],
            )
    """,
    "openai-responses-on-self": """
        from openai import OpenAI
        class Buddy:
            def __init__(self):
                self.client = OpenAI()
            def ask(self, student):
                return self.client.responses.create(model="gpt-4o", input=f"Email {student.email}")
    """,
    "openai-async-azure": """
        from openai import AsyncAzureOpenAI
        client = AsyncAzureOpenAI()
        async def ask(child):
            return await client.chat.completions.create(model="x", messages=[{"role": "user", "content": child.full_name}])
    """,
    "openai-user-parameter-is-an-email": """
        from openai import OpenAI
        client = OpenAI()
        def ask(user):
            return client.chat.completions.create(model="x", messages=[], user=user.email)
    """,
    "openai-legacy-module": """
        import openai
        def ask(pupil):
            return openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": pupil.name}])
    """,
    "anthropic-messages": """
        import anthropic
        claude = anthropic.Anthropic()
        def ask(child):
            return claude.messages.create(model="x", max_tokens=200, messages=[{"role": "user", "content": child.email}])
    """,
    "gemini-chat-session": """
        import google.generativeai as genai
        model = genai.GenerativeModel("gemini-1.5-flash")
        def ask(student):
            chat = model.start_chat()
            return chat.send_message(f"My school is {student.school} and I live at {student.home_address}")
    """,
    "google-genai-client": """
        from google import genai
        client = genai.Client()
        def ask(user):
            return client.models.generate_content(model="gemini-2.0-flash", contents=user.bio)
    """,
    "vertex-generative-model": """
        from vertexai.generative_models import GenerativeModel
        def ask(child):
            return GenerativeModel("gemini-pro").generate_content(child.date_of_birth.isoformat() + child.email)
    """,
    "cohere-chat": """
        import cohere
        co = cohere.ClientV2()
        def ask(user):
            return co.chat(model="command-r", messages=[{"role": "user", "content": user.phone_number}])
    """,
    "mistral-chat": """
        from mistralai import Mistral
        client = Mistral(api_key="k")
        def ask(user):
            return client.chat.complete(model="mistral-small", messages=[{"role": "user", "content": user.email}])
    """,
    "huggingface-inference": """
        from huggingface_hub import InferenceClient
        hf = InferenceClient()
        def ask(child):
            return hf.text_generation(f"Write a poem for {child.first_name}")
    """,
    "replicate-run": """
        import replicate
        def ask(user):
            return replicate.run("meta/llama-3", input={"prompt": user.first_name})
    """,
    "bedrock-converse": """
        import boto3
        def ask(user):
            runtime = boto3.client("bedrock-runtime")
            return runtime.converse(modelId="m", messages=[{"role": "user", "content": [{"text": user.email}]}])
    """,
    "litellm-completion": """
        import litellm
        def ask(child):
            return litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": child.email}])
    """,
    "langchain-chat-model": """
        from langchain_openai import ChatOpenAI
        llm = ChatOpenAI(model="gpt-4o")
        def ask(student):
            return llm.invoke(f"Summarise the diary of {student.full_name}")
    """,
    "whole-request-payload": """
        from flask import request
        from openai import OpenAI
        client = OpenAI()
        def chat():
            return client.chat.completions.create(model="x", messages=[{"role": "user", "content": str(request.get_json())}])
    """,
    "http-to-openai-api": """
        import requests
        def ask(user):
            return requests.post(
                "https://api.openai.com/v1/chat/completions",
                json={"model": "gpt-4o", "messages": [{"role": "user", "content": user.email}]},
            )
    """,
    "http-to-anthropic-api-with-httpx": """
        import httpx
        def ask(child):
            return httpx.post("https://api.anthropic.com/v1/messages", json={"messages": [child.first_name]})
    """,
    "same-file-wrapper": """
        from openai import OpenAI
        client = OpenAI()
        def complete(prompt):
            return client.chat.completions.create(model="x", messages=[{"role": "user", "content": prompt}])
        def greet(child):
            return complete(f"Say hello to {child.first_name} {child.last_name}")
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_positive(name):
    assert lint(POSITIVE[name]) == ["COP106"]


NEGATIVE = {
    "no-personal-data": """
        from openai import OpenAI
        client = OpenAI()
        def explain(topic):
            return client.chat.completions.create(model="x", messages=[{"role": "user", "content": f"Explain {topic}"}])
    """,
    "pseudonymous-user-id-only": """
        from openai import OpenAI
        client = OpenAI()
        def ask(user, question_text):
            return client.chat.completions.create(model="x", messages=[], user=str(user.id))
    """,
    "hashed-email": """
        import hashlib
        from openai import OpenAI
        client = OpenAI()
        def ask(user):
            return client.chat.completions.create(model="x", messages=[], user=hashlib.sha256(user.email.encode()).hexdigest())
    """,
    "moderation-endpoint-is-the-filter": """
        from openai import OpenAI
        client = OpenAI()
        def screen(user):
            return client.moderations.create(input=user.bio)
    """,
    "local-ollama-model": """
        import ollama
        def ask(child):
            return ollama.chat(model="llama3", messages=[{"role": "user", "content": child.email}])
    """,
    "local-transformers-pipeline": """
        from transformers import pipeline
        generator = pipeline("text-generation")
        def ask(child):
            return generator(child.first_name)
    """,
    "not-imported-lookalike-client": """
        class Client:
            def __init__(self):
                self.chat = self
            def create(self, **kw):
                return kw
        client = Client()
        def ask(user):
            return client.chat.create(messages=[user.email])
    """,
    "adult-data-only": """
        from openai import OpenAI
        client = OpenAI()
        def draft_letter(parent):
            return client.chat.completions.create(model="x", messages=[{"role": "user", "content": parent.email}])
    """,
    "age-alone-is-a-quasi-identifier": """
        from openai import OpenAI
        client = OpenAI()
        def level(child):
            return client.chat.completions.create(model="x", messages=[{"role": "user", "content": f"age {child.age}"}])
    """,
    "s3-upload-is-not-bedrock": """
        import boto3
        def save(user):
            boto3.client("s3").put_object(Bucket="b", Key="k", Body=user.email)
    """,
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative(name):
    assert lint(NEGATIVE[name]) == []


def test_general_audience_counts_only_data_said_to_be_a_childs():
    source = """
        from openai import OpenAI
        client = OpenAI()
        def ask(user, child):
            client.chat.completions.create(model="x", messages=[{"role": "user", "content": user.email}])
            client.chat.completions.create(model="x", messages=[{"role": "user", "content": child.email}])
    """
    assert lint(source, audience="general") == ["COP106"]
    assert lint(source, audience="mixed") == ["COP106", "COP106"]


def test_test_modules_are_not_reported():
    assert lint(POSITIVE["openai-client-chat"], path="tests/test_bot.py") == []


def test_request_to_an_ai_api_is_cop106_not_cop104():
    assert lint(POSITIVE["http-to-openai-api"], select=("COP1",)) == ["COP106"]


def test_message_names_data_provider_and_fix():
    (text,) = messages(POSITIVE["anthropic-messages"])
    assert text.startswith("a child's email address (from child.email) reaches Anthropic via claude.messages.create")
    assert "pseudonymise" in text and "zero data retention" in text


def test_wrapper_in_another_file(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/llm.py": """
            from openai import OpenAI
            client = OpenAI()
            def ask_model(prompt):
                return client.chat.completions.create(model="x", messages=[{"role": "user", "content": prompt}])
        """,
        "app/views.py": """
            from .llm import ask_model
            def homework_help(student):
                return ask_model(f"Explain fractions to {student.first_name} at {student.school}")
            def generic_help(topic):
                return ask_model(f"Explain {topic} to a ten year old")
        """,
    }
    assert run_tree(tmp_path, files) == [("COP106", "app/views.py", 4)]


def test_catalog_entries_are_ai_family_and_do_not_list_moderation():
    specs = [spec for spec in default_sinks().specs if spec.family == "ai"]
    assert {s.id for s in specs} >= {"openai", "anthropic", "google-gemini", "cohere", "mistral",
                                      "huggingface-inference", "replicate", "aws-bedrock"}
    for spec in specs:
        assert spec.require_import
        assert not any("moderation" in receiver for receiver in spec.receivers), spec.id


def test_kidschat_plants_and_safe_twin():
    examples = Path(__file__).resolve().parents[2] / "examples"
    engine = Engine(Settings(select=("COP106",)))
    for name, expected in (("kidschat", [("COP106", "kidschat/tutors.py", 88)]), ("kidschat_safe", [])):
        files = sorted((p, p.relative_to(examples).as_posix()) for p in (examples / name).rglob("*.py"))
        assert [(f.rule, f.path, f.line) for f in engine.run(files).findings] == expected
