"""MkDocs hooks: the pages that are generated from the code, so nothing is written twice.

- `<!-- policies -->` becomes one section per family of registered policies (a module of
  `lrsched`), each policy with its gallery picture and its docstring (formula, source,
  arguments with their ranges) rendered by mkdocstrings. The registry is the only list.
- `<!-- migration table -->` becomes `lrsched.compat.migration_table()`, and
  `<!-- refusals -->` `lrsched.compat.refusal_list()`.
- The gallery (`gallery/NAME.png`, one per registered policy) is drawn from each policy's
  declared example when the site is built (`docs/make_gallery.py`), into a temporary
  folder: nothing generated is committed, and a new policy has its picture.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path
from typing import Any

_DRAWN: list[str] = []  # the temporary folders the gallery was drawn into


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


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File, InclusionLevel

    spec = importlib.util.spec_from_file_location("make_gallery", Path(__file__).parent / "make_gallery.py")
    assert spec is not None and spec.loader is not None
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    for old in [f for f in files if f.src_uri.startswith("gallery/")]:  # a local make_gallery.py run
        files.remove(old)
    folder = tempfile.mkdtemp(prefix="lrsched-gallery-")
    _DRAWN.append(folder)
    for picture in gallery.draw(Path(folder) / "gallery"):
        path, site, urls = f"gallery/{picture.name}", config["site_dir"], config["use_directory_urls"]
        files.append(File(path, folder, site, urls, inclusion=InclusionLevel.INCLUDED))
    return files


def on_post_build(config: Any) -> None:
    while _DRAWN:
        shutil.rmtree(_DRAWN.pop(), ignore_errors=True)
