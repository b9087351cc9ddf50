"""A Griffe extension for the docs site: lrsched's docstrings are written for `help()` and
doctest (reST math roles, `>>>` examples); this turns them into the Markdown that
mkdocstrings renders, without changing the docstrings themselves."""

from __future__ import annotations

import re
from typing import Any

import griffe

_INLINE_MATH = re.compile(r":math:`([^`]*)`")


def to_markdown(text: str) -> str:
    """reST math and doctest blocks as Markdown: `$...$`, `$$...$$` and fenced pycon."""
    lines = _INLINE_MATH.sub(r"$\1$", text).split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == ".. math::":
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent + " ")):
                block.append(lines[i].strip())
                i += 1
            body = "\n".join(b for b in block if b)
            out += [f"{indent}$$", *(indent + b for b in body.split("\n")), f"{indent}$$", ""]
            continue
        if stripped.startswith(">>>"):
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            line = line[:-1]  # a reST literal block: Markdown's indented code follows
        out.append(line)
        i += 1
    return "\n".join(out)


class RstToMarkdown(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)


class FrozenValuesAsDataclasses(griffe.Extension):
    """Policies are made by `@frozen_value` (`lrsched._frozen`): keyword-only dataclasses
    whose methods are shared. Read statically, the decorator is `dataclasses.dataclass(kw_only=True)`,
    so that Griffe's dataclass support gives each policy its `__init__` signature."""

    def on_class_instance(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        for decorator in cls.decorators:
            if str(decorator.value).split(".")[-1] == "frozen_value":
                dataclass = griffe.ExprName("dataclass", parent="dataclasses")
                decorator.value = griffe.ExprCall(dataclass, [griffe.ExprKeyword("kw_only", "True")])
