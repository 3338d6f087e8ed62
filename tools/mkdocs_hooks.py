"""MkDocs hooks for the documentation site (mkdocs.yml: ``hooks``).

The package's docstrings cross-reference in Sphinx's style (``:mod:`.context```,
``:func:`broadcast_equivalent```); mkdocstrings renders them as Markdown, where the role would
show as text before the code. The role is dropped and the name kept as code.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:mod|class|func|meth|attr|data|exc|obj):(?=<code>)")


def on_page_content(html: str, **_: object) -> str:
    return ROLE.sub("", html)
