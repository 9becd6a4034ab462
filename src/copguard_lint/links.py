"""Where copguard-lint lives on the web: the one place that spells its URLs.

SARIF `helpUri`/`informationUri` and anything else that links to a rule's
documentation page build the link here, so moving the repository or the docs
means changing one constant.
"""

from __future__ import annotations

REPOSITORY_URL = "https://github.com/copguard-lint/copguard-lint"
# The rule pages (`rules/COPnnn.md`) as rendered on the default branch.
RULE_DOCS_BASE_URL = f"{REPOSITORY_URL}/blob/main/rules/"


def rule_doc_url(code: str) -> str:
    """The documentation page of rule `code`, e.g. `.../rules/COP101.md`."""
    return f"{RULE_DOCS_BASE_URL}{code}.md"
