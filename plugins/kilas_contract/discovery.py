"""Which files under ``content/`` make the site, decided once per build.

Pelican walks its content folders with ``os.walk`` and keeps what its readers'
extensions match: it crashes on an editor's lock file (a dangling symbolic
link), drops ``x.MD`` and ``..md`` in silence, follows links out of the
project and publishes dot-files. Here every file under ``content/`` is
classified by the rules below (data, in order) and Pelican's generators are
given exactly the items, pages and static files found; everything else is
either an editor's file (ignored) or a problem naming the file and what to do.
``invoke check`` and the build share this code, so they agree on every file.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass, field

from .contract import Problem

logger = logging.getLogger(__name__)

# Markdown files are read whatever the case of their extension (x.MD, y.Md).
MARKDOWN_EXTENSIONS = frozenset({"md", "markdown", "mdown", "mkd"})

# Files editors, their tools and file managers leave beside the files they
# edit: never read, never published, never an error.
EDITOR_FILES = (
    ".#*",  # Emacs lock (a dangling symbolic link)
    "#*#",  # Emacs auto-save
    "._*",  # macOS resource fork on a shared drive
    "*~",  # backup (Emacs, gedit, nano)
    "*.swp",  # Vim swap files
    "*.swo",
    "*.swx",
    "*.bak",
    "*.orig",  # left by merges and patches
    "*.rej",
    "*.tmp",
    "~$*",  # Microsoft Office lock
    "4913",  # Vim's test file
)

# Text files in an item or page folder that were meant to be Markdown
# (Notepad saves "x.md" as "x.md.txt").
MISNAMED_TEXT = frozenset({"txt", "text", "rst", "html", "htm", "adoc", "org"})


@dataclass
class Discovery:
    """Paths relative to the content folder, as Pelican's get_files gives them."""

    items: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    static: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def markdown(self) -> list[str]:
        return self.items + self.pages

    def files(self, paths, extensions=None) -> set[str]:
        """Pelican's ``Generator.get_files``: Markdown files (``extensions``
        None), static files (False) or none (a disabled reader's extensions:
        such files are reported here instead) under ``paths``."""
        if isinstance(paths, str):
            paths = [paths]
        pool = (
            self.markdown
            if extensions is None
            else self.static
            if not extensions
            else []
        )
        roots = [os.path.normpath(p) if p else "." for p in paths]
        return {path for path in pool if any(_under(path, root) for root in roots)}


def _under(path: str, root: str) -> bool:
    return root in (".", path) or path.startswith(root + os.sep)


def extension(name: str) -> str:
    """``x.MD`` -> ``md``; ``..md`` -> ``md``; ``README`` -> ``""``."""
    _, dot, ext = name[1:].rpartition(".")
    return ext.lower() if dot else ""


def is_markdown(name: str) -> bool:
    return extension(name) in MARKDOWN_EXTENSIONS


def is_editor_file(name: str) -> bool:
    """A hidden file or one an editor leaves beside the file it edits."""
    return name.startswith(".") or any(
        fnmatch.fnmatchcase(name, pattern) for pattern in EDITOR_FILES
    )


def discover(settings: dict, display) -> Discovery:
    """Classify every file under ``settings["PATH"]``; ``display(path)`` is how
    a path is shown in a problem."""
    return _Walker(settings, display).walk()


class _Walker:
    def __init__(self, settings: dict, display) -> None:
        self.settings = settings
        self.display = display
        self.content = os.path.realpath(settings["PATH"])
        self.folders = {
            "items": settings["ARTICLE_PATHS"],
            "pages": settings["PAGE_PATHS"],
            "static": settings["STATIC_PATHS"],
        }
        self.excludes = {
            "items": settings.get("ARTICLE_EXCLUDES") or [],
            "pages": settings.get("PAGE_EXCLUDES") or [],
            "static": settings.get("STATIC_EXCLUDES") or [],
        }
        self.registries = {
            settings.get("KILAS_SOURCES_FILE", "sources.yaml"),
            settings.get("KILAS_REGIONS_FILE", "regions.yaml"),
        }
        self.found = Discovery()

    def walk(self) -> Discovery:
        if not os.path.isdir(self.content):
            return self.found
        visited = {self.content}
        todo = [""]
        while todo:
            folder = todo.pop()
            try:
                with os.scandir(os.path.join(self.content, folder)) as scan:
                    entries = sorted(scan, key=_name)
            except OSError as exc:
                self.problem(folder, f"cannot be read ({exc.strerror})")
                continue
            for entry in entries:
                relative = os.path.join(folder, entry.name) if folder else entry.name
                if not self.usable(relative, entry):
                    continue
                if entry.is_dir():
                    real = os.path.realpath(entry.path)
                    if real not in visited:
                        visited.add(real)
                        todo.append(relative)
                elif entry.is_file():
                    self.classify(relative, entry.name)
                else:
                    self.problem(
                        relative, "is not a regular file (a device, socket or pipe)"
                    )
        for kind in ("items", "pages", "static"):
            getattr(self.found, kind).sort()
        return self.found

    def problem(self, relative: str, message: str) -> None:
        path = self.display(os.path.join(self.settings["PATH"], relative))
        self.found.problems.append(Problem(path, None, None, message))

    def within(self, relative: str, kind: str) -> bool:
        def inside(folders) -> bool:
            return any(_under(relative, os.path.normpath(f)) for f in folders if f)

        return inside(self.folders[kind]) and not inside(self.excludes[kind])

    def usable(self, relative: str, entry: os.DirEntry) -> bool:
        """False for editor files (ignored) and refused names and links."""
        name = entry.name
        if name.startswith(".") and is_markdown(name) and name[:2] not in (".#", "._"):
            stem = name.lstrip(".").rpartition(".")[0] or "judul-butir"
            self.problem(
                relative,
                "a Markdown file with a hidden name (starting with '.') is not"
                f" read; rename it, e.g. to {stem}.md",
            )
            return False
        if is_editor_file(name):
            self.found.ignored.append(relative)
            return False
        if not entry.is_symlink():
            return True
        target = os.path.realpath(entry.path)
        if not os.path.exists(target):
            self.problem(
                relative,
                f"is a symbolic link to {os.readlink(entry.path)}, which does not"
                " exist; remove the link or restore its file",
            )
            return False
        if not _under(target, self.content):
            self.problem(
                relative,
                f"is a symbolic link to {target}, outside the content folder;"
                " links are followed only inside it: copy the file in instead",
            )
            return False
        return True

    def classify(self, relative: str, name: str) -> None:
        kind = extension(name)
        items, pages = self.folders["items"], self.folders["pages"]
        in_items, in_pages = (
            self.within(relative, "items"),
            self.within(relative, "pages"),
        )
        if kind in MARKDOWN_EXTENSIONS:
            if in_items:
                self.found.items.append(relative)
            elif in_pages:
                self.found.pages.append(relative)
            else:
                self.problem(
                    relative,
                    f"a Markdown file outside content/{items[0]}/ and"
                    f" content/{pages[0]}/ is not read; move it to"
                    f" content/{items[0]}/ (an item) or content/{pages[0]}/"
                    " (a page)",
                )
        elif kind in MISNAMED_TEXT and (in_items or in_pages):
            stem = name.rpartition(".")[0].removesuffix(".md")
            self.problem(
                relative,
                f'is not read: items and pages are Markdown files ending in ".md";'
                f" rename it to {stem}.md",
            )
        elif self.within(relative, "static"):
            self.found.static.append(relative)
        elif relative not in self.registries:
            logger.info("kilas_contract: %s is not part of the site", relative)


def _name(entry: os.DirEntry) -> str:
    return entry.name
