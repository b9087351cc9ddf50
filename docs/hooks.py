"""MkDocs hooks: the pages that are generated from the code, so nothing is written twice.

- `<!-- policies -->` becomes one section per family of registered policies (a module of
  `lrsched`), each policy with its gallery picture and its docstring (formula, source,
  arguments with their ranges) rendered by mkdocstrings. The registry is the only list.
- `<!-- migration table -->` becomes `lrsched.compat.migration_table()`, and
  `<!-- refusals -->` `lrsched.compat.refusal_list()`.
"""

from __future__ import annotations

from typing import Any


def _policies_markdown() -> str:
    import lrsched  # noqa: F401  (registers every policy)
    from lrsched import base

    families: dict[str, list[tuple[str, type]]] = {}
    for name, cls in sorted(base.Schedule._registry.items()):
        families.setdefault(cls.__module__, []).append((name, cls))
    out = []
    for module, members in sorted(families.items()):
        title = (__import__(module, fromlist=["_"]).__doc__ or module).strip().split("\n")[0].rstrip(".")
        out.append(f"## {title}\n\n`{module}`\n")
        for name, cls in members:
            out.append(
                f"### `{name}`\n\n![{name}](gallery/{name}.png)\n\n"
                f"::: {module}.{cls.__name__}\n    options:\n      show_root_heading: false\n"
            )
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- policies -->" in markdown:
        markdown = markdown.replace("<!-- policies -->", _policies_markdown())
    if "<!-- migration table -->" in markdown:
        from lrsched import compat

        markdown = markdown.replace("<!-- migration table -->", compat.migration_table())
    if "<!-- refusals -->" in markdown:
        from lrsched import compat

        markdown = markdown.replace("<!-- refusals -->", compat.refusal_list())
    return markdown
