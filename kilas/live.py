"""``invoke livereload``: a build that keeps the site in memory between saves.

The server builds once, as ``invoke build`` does, and keeps what Pelican
read and the writer's records. When a save changes only the bodies of items
or pages already in the site (every field as read before, no new link to a
file of the site), it puts the new bodies into the site in memory, renders
the pages and feeds that show them (the records say which: see
``kilas.records``), and publishes them into ``output/`` in one step, as a
build does (``kilas.output``); the browser reloads then. The search index
of the changed pages follows (Pagefind indexes their shard), and is
published once done.

Anything else (a new, deleted or renamed file, a changed field, a theme,
plugin or settings file, a static file) makes an ordinary build in the
same process, which reads the whole site again and keeps it; so does the
moment at which the site changes by itself (a scheduled item falls due).
A build by another process is noticed (the record of ``output/`` changed)
and makes the next save a whole build. When ``output/`` is up to date at
the start, the server serves it at once and reads the site meanwhile.

The fast path renders exactly what a build would (the tests compare it
with a clean build, byte for byte): a field is compared as the reader gives
it, so a title made from the body, or a summary, counts as a field.
"""

from __future__ import annotations

import contextlib
import gc
import html
import logging
import os
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from kilas.build import BuildFailed, _Formatter, _places, _Tally, build
from kilas.output import (
    NOTICE,
    RECORD_FILE,
    OutputError,
    Record,
    Tree,
    build_lock,
    load_record,
    publish,
    recover,
    stat_key,
)

logger = logging.getLogger(__name__)

# Links Pelican resolves in a body ({static}, {filename}, |attach|...): a
# body that links other files of the site takes a whole build when its
# links change (a linked file is published by the build that reads it).
_SITE_LINKS = re.compile(r"""(?:\{\w+\}|\|\w+\|)[^"'\s<>]*""")


def _strict(value):
    """A value compared as shown: names, not only slugs; times with zones."""
    from pelican.urlwrappers import URLWrapper  # noqa: PLC0415

    if isinstance(value, str | int | float | bool | type(None)):
        return (type(value).__name__, value)
    if isinstance(value, datetime | date):
        return ("date", value.isoformat(), str(getattr(value, "tzinfo", None)))
    if isinstance(value, URLWrapper):
        return (type(value).__name__, value.name, value.slug)
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _strict(v)) for k, v in value.items())))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_strict(v) for v in value]
        return ("list", tuple(sorted(items) if isinstance(value, set) else items))
    return (type(value).__name__, repr(value))


def _read(content, metadata, **_) -> tuple:
    """What ``Readers.read_file`` read, without making a Content object
    (which would tell plugins of a new item)."""
    return content, metadata


@dataclass
class _Kept:
    """The site of the last build, as it is in memory and on disk."""

    pelican: object
    generators: list
    writer: object
    fields: dict[str, tuple]  # source path -> its fields as read
    target: Path
    cache: Path
    retention: frozenset
    staging: Tree = field(default_factory=Tree)
    output: Tree = field(default_factory=Tree)
    record_key: str = ""
    # Each item and page by its source path, resolved (as saves are named).
    contents: dict = field(default_factory=dict)
    searching: bool = False  # pages changed since the search index was
    content: Path = Path()  # the content folder, resolved
    sources: set[str] = field(default_factory=set)  # the files read, resolved

    def remember(self, record: Record | None = None, folders=None) -> None:
        """Take the folders' files from the record the last publish saved
        (``folders``: both folders' folders, when known)."""
        if record is None:
            record = load_record(self.cache) or Record()
        if folders is None:
            folders = _folders(record.staging) | _folders(record.output)
        self.staging = Tree(files=dict(record.staging), folders=set(folders))
        self.output = Tree(files=dict(record.output), folders=set(folders))
        self.record_key = _record_key(self.cache)


def _folders(files: Iterable[str]) -> set[str]:
    folders = set()
    for name in files:
        parts = name.split("/")[:-1]
        folders.update("/".join(parts[: n + 1]) for n in range(len(parts)))
    return folders


def _record_key(cache: Path) -> str:
    try:
        return stat_key(os.stat(cache / RECORD_FILE))
    except FileNotFoundError:
        return ""


class LiveSite:
    """A site built once and kept in memory; ``update`` takes each save."""

    def __init__(
        self,
        settings_file: str | Path = "pelicanconf.py",
        content: str | Path | None = None,
        output: str | Path | None = None,
        siteurl: str | None = None,
    ) -> None:
        self.args = {
            "settings_file": settings_file,
            "content": content,
            "output": output,
            "siteurl": siteurl,
        }
        self.kept: _Kept | None = None
        self.started = time.time()  # when the last build began to read

    # -- a whole build ------------------------------------------------------
    def build(self, force: bool = True) -> dict:
        """An ordinary build (BuildFailed when it fails); the site it read is
        kept. Unless ``force``d, a build that would change nothing stops
        early (``kilas.fastpath``) and keeps nothing."""
        from pelican.plugins import signals  # noqa: PLC0415

        from kilas.pelican_coupling import forget_memos, site_written  # noqa: PLC0415

        self.kept = None
        self.started = time.time()
        forget_memos()
        gc.unfreeze()
        gc.collect()  # the last site's memory, before this one is read
        made: dict = {}
        fields: dict[str, tuple] = {}

        def written(pelican, generators, writer) -> None:
            made.update(pelican=pelican, generators=generators, writer=writer)

        def read(content) -> None:
            fields[content.source_path] = _strict(content.metadata)

        site_written.connect(written)
        signals.content_object_init.connect(read)
        try:
            settings = build(**self.args, force=force)
        finally:
            site_written.disconnect(written)
            signals.content_object_init.disconnect(read)
        if made:
            retention, target, cache = _places(settings, self.args["settings_file"])
            self.kept = _Kept(fields=fields, target=target, cache=cache,
                              retention=retention, **made)  # fmt: skip
            self.kept.remember()
            self.kept.content = Path(os.path.realpath(settings["PATH"]))
            self.kept.sources = {
                os.path.realpath(p) for p in settings["KILAS_STATS"]["sources"]
            }
            for generator in made["generators"]:
                for content in _contents(generator):
                    path = os.path.realpath(content.source_path)
                    self.kept.contents[path] = (content, generator)
            # The site lives until the next whole build: the collector need
            # not look through its millions of objects at every save.
            gc.collect()
            gc.freeze()
        return settings

    def due(self) -> float | None:
        """The moment, when past, at which the site in memory changes by
        itself (kilas_sitemap's and the schedule's next moment,
        ``kilas_valid_until``); else None."""
        from kilas.fastpath import build_now  # noqa: PLC0415

        kept = self.kept
        until = kept.pelican.stats.get("valid_until") if kept else None
        if until is None:
            return None
        # The environment's KILAS_NOW when set (it stands still), else the
        # clock (the settings hold the last build's "now").
        zone = {"TIMEZONE": kept.pelican.settings.get("TIMEZONE")}
        try:
            now = build_now(zone).timestamp()
        except Exception:  # noqa: BLE001  (a bad KILAS_NOW: the build says it)
            return until
        return until if now >= until else None

    def close(self) -> None:
        """Let the site in memory go."""
        from kilas.pelican_coupling import forget_memos  # noqa: PLC0415

        self.kept = None
        forget_memos()
        gc.unfreeze()
        gc.collect()

    # -- a save -------------------------------------------------------------
    def update(self, paths: Iterable[str | Path]) -> dict:
        """Take the saved ``paths``: their bodies in memory when only bodies
        changed, else a whole build. Return what was done: ``fast``, the
        ``rendered`` pages and ``seconds``; None when none of ``paths`` is
        an input (a file made and removed at once: Vim's ``4913`` probe)."""
        started = time.perf_counter()
        paths = {os.path.realpath(p) for p in paths}
        kept = self.kept
        if kept is not None:
            paths = {
                p
                for p in paths
                if os.path.lexists(p)
                or p in kept.sources
                or not Path(p).is_relative_to(kept.content)
                # A folder moved or deleted at once (`mv content/items/2024
                # /tmp`) is one path, no file: a save when it held files read.
                or any(s.startswith(p + os.sep) for s in kept.sources)
            }
            if not paths:
                return None
        held = _Held()
        try:
            with held:
                rendered = self._bodies(paths)
        except Exception as exc:  # noqa: BLE001  (the whole build says it)
            # A template error, an I/O error: the whole build that follows
            # reports it as a build does, and fails or puts it right.
            logger.info("kilas: live update stopped (%s); building", exc)
            rendered = None
        if rendered is not None:
            held.tell()  # what reading said (a notice); else the build says it
        # Named in the report: the files saved, not a tool's scratch file
        # made and renamed away in the same moment (`sed -i`'s sedXXXXXX).
        known = kept.sources if kept is not None else ()
        shown = sorted(p for p in paths if os.path.lexists(p) or p in known)
        if rendered is None:
            settings = self.build()
            stats = settings["KILAS_STATS"]
            return {
                "fast": False,
                "rendered": stats.get("rendered_pages", []),
                "seconds": time.perf_counter() - started,
                "saved": shown or sorted(paths),
                "settings": settings,
            }
        return {
            "fast": True,
            "rendered": rendered,
            "seconds": time.perf_counter() - started,
            "saved": shown or sorted(paths),
        }

    def index(self) -> None:
        """Index the pages the last fast update changed again, and publish
        the search index (Pagefind takes a second or so a shard)."""
        kept = self.kept
        if kept is None or not kept.searching:
            return
        from kilas_search import kilas_search  # noqa: PLC0415

        from kilas.pelican_coupling import memoized_urls  # noqa: PLC0415

        kept.searching = False
        settings = kept.pelican.settings
        with build_lock(kept.cache, kept.target):
            if _record_key(kept.cache) != kept.record_key:
                return  # another build published since: it indexed
            try:
                settings["OUTPUT_PATH"] = str(kept.cache / "staging")
                with memoized_urls():
                    kilas_search.plan_site(kept.generators[0])
                    kilas_search.index_site(kept.pelican)
                bundle = settings["SEARCH_BUNDLE_DIR"].strip("/")
                self._publish(_scanned(kept, bundle))
            finally:
                settings["OUTPUT_PATH"] = str(kept.target)

    def _bodies(self, paths: set[str]) -> list[str] | None:
        """The fast path; None when the saves need a whole build."""
        kept = self.kept
        if kept is None or not paths:
            return None
        pelican, writer = kept.pelican, kept.writer
        settings = pelican.settings
        if self.due() is not None:
            return None  # the site changes by itself now (a scheduled item)
        found = kept.contents
        if not paths <= found.keys() or not all(map(os.path.isfile, paths)):
            return None  # a new or deleted file, a static file, the theme...
        with build_lock(kept.cache, kept.target):
            staging = kept.cache / "staging"
            recover(staging, kept.target, kept.cache, kept.retention)
            if _record_key(kept.cache) != kept.record_key:
                return None  # another build published since
            bodies = {}
            for path in sorted(paths):
                content, generator = found[path]
                body = self._body(content, generator, kept)
                if body is None:
                    return None
                bodies[content] = body
            return self._render(bodies, kept, writer, settings)

    def _body(self, content, generator, kept: _Kept) -> str | None:
        """The new body of ``content``, or None when more than it changed."""
        read = generator.readers.read_file(
            base_path=generator.path,
            path=os.path.relpath(content.source_path, generator.path),
            content_class=_read,
            context=generator.context,
        )
        if not isinstance(read, tuple):
            return None  # left out now (a problem, a draft, scheduled)
        body, metadata = read
        if _strict(metadata) != kept.fields.get(content.source_path):
            return None
        from kilas.pelican_coupling import body_of  # noqa: PLC0415

        if _SITE_LINKS.findall(body) != _SITE_LINKS.findall(body_of(content)):
            return None
        from kilas_contract.kilas_contract import linked_values  # noqa: PLC0415

        # A new link or image that is no web address (../images/x.jpg): a
        # whole build checks it (kilas_contract.check_body_links).
        if sorted(linked_values(body)) != sorted(linked_values(body_of(content))):
            return None
        return body

    def _render(self, bodies: dict, kept: _Kept, writer, settings) -> list[str]:
        from pelican.generators import StaticGenerator  # noqa: PLC0415

        from kilas.pelican_coupling import memoized_urls, replace_body  # noqa: PLC0415

        staging = kept.cache / "staging"
        tally = _Tally()
        root = logging.getLogger()
        root.addHandler(tally)
        settings["OUTPUT_PATH"] = str(staging)
        try:
            for content, body in bodies.items():
                replace_body(content, body)
            writer.again({c.source_path for c in bodies}, {c.save_as for c in bodies})
            if hasattr(settings, "recorder"):
                settings.recorder = writer.recorder
            with memoized_urls():
                for generator in kept.generators:
                    # Static files are as the build copied them (a save of
                    # one is a whole build), as in a forked writer.
                    if isinstance(generator, StaticGenerator):
                        continue
                    if hasattr(generator, "generate_output"):
                        generator.generate_output(writer)
        finally:
            writer.only = None
            if hasattr(settings, "recorder"):
                settings.recorder = None
            settings["OUTPUT_PATH"] = str(kept.target)
            root.removeHandler(tally)
        if tally.total:
            raise OutputError("a warning while rendering")
        written = sorted(set(writer.rendered))
        new = Tree(files=dict(kept.staging.files), folders=set(kept.staging.folders))
        for name in written:
            new.files[name] = stat_key(os.stat(staging / name))
        new.folders |= _folders(written)
        self._publish(new)
        kept.searching = any(name.endswith(".html") for name in written)
        return written

    def _publish(self, new: Tree) -> None:
        kept = self.kept
        record = load_record(kept.cache)
        published = publish(
            kept.cache / "staging",
            kept.target,
            kept.cache,
            kept.retention,
            record,
            old=kept.output,
            new=new,
        )
        if published.problem:
            logger.warning("kilas: %s", published.problem)
        kept.remember(published.record, new.folders)


def _contents(generator) -> list:
    """The items and pages a generator read (with translations and
    hidden ones), each written by ``generator``."""
    found = []
    for name in (
        "articles",
        "translations",
        "hidden_articles",
        "hidden_translations",
        "drafts",
        "drafts_translations",
        "pages",
        "hidden_pages",
        "draft_pages",
    ):
        found.extend(getattr(generator, name, None) or [])
    return found


def _scanned(kept: _Kept, folder: str) -> Tree:
    """The staging folder's files, ``folder`` (the search bundle) scanned
    again."""
    from kilas.output import scan  # noqa: PLC0415

    staging = kept.cache / "staging"
    new = Tree(
        files={
            n: k
            for n, k in kept.staging.files.items()
            if not n.startswith(f"{folder}/")
        },
        folders={f for f in kept.staging.folders if not f.startswith(f"{folder}/")},
    )
    if (staging / folder).is_dir():
        inner = scan(staging / folder)
        new.folders.add(folder)
        new.folders.update(f"{folder}/{f}" for f in inner.folders)
        new.files.update((f"{folder}/{n}", k) for n, k in inner.files.items())
    return new


class _Held(logging.Filter):
    """Holds back what is logged meanwhile (the fast path's reading), so
    that a whole build that follows does not say it twice; ``tell()`` says
    it when no build follows."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.handlers: list[logging.Handler] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False

    def __enter__(self):
        self.handlers = list(logging.getLogger().handlers)
        for handler in self.handlers:
            handler.addFilter(self)
        return self

    def __exit__(self, *exc_info) -> None:
        for handler in self.handlers:
            handler.removeFilter(self)

    def tell(self) -> None:
        # Straight to the handlers: the loggers' own filters (Pelican's
        # duplicate filter) saw these records already.
        for record in dict.fromkeys(self.records):  # once, not once a handler
            for handler in self.handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)


# -- watching ------------------------------------------------------------------
IGNORED_PARTS = frozenset({"__pycache__", ".git", ".kilas-cache"})


def watched(settings_file: str | Path, content: str | Path | None = None) -> list[Path]:
    """What a save in makes the site change: the content folder, the
    theme, the plugin folders and the settings files' folder (its Python
    files)."""
    from kilas.build import load_settings  # noqa: PLC0415

    settings = load_settings(settings_file, content)
    folders = [Path(settings["PATH"]), Path(settings["THEME"])]
    folders += [Path(p) for p in settings.get("PLUGIN_PATHS", [])]
    return [f.resolve() for f in folders if f.is_dir()]


def _plugin_folders(settings_file, content) -> list[Path]:
    """The plugin folders (PLUGIN_PATHS), resolved; none when the settings
    cannot be read (the build says why)."""
    from kilas.build import load_settings  # noqa: PLC0415

    try:
        settings = load_settings(settings_file, content)
    except Exception:  # noqa: BLE001  (the build says why)
        return []
    return [Path(p).resolve() for p in settings.get("PLUGIN_PATHS", [])]


def relevant(path: str, settings_folder: Path, folders: list[Path]) -> bool:
    """Whether a changed ``path`` is an input: a file below a watched folder
    that is not hidden, an editor's scratch file or a cache; or a Python
    file beside the settings file."""
    from kilas_contract.discovery import is_editor_file  # noqa: PLC0415

    found = Path(path)
    if found.parent == settings_folder:
        return found.suffix == ".py" and not is_editor_file(found.name)
    for folder in folders:
        if found.is_relative_to(folder):
            parts = found.relative_to(folder).parts
            return not any(p in IGNORED_PARTS or is_editor_file(p) for p in parts)
    return False


def watch(
    settings_file: str | Path,
    content: str | Path | None,
    take: Callable[[set[str]], None],
    stop: threading.Event,
    idle: Callable[[], None] | None = None,
) -> None:
    """Call ``take`` with the inputs saved, as soon as they are (inotify
    through watchfiles; saves within 50 ms come together), until ``stop``;
    ``idle`` after each half second without a save. The settings files
    (Python files beside the settings file) are looked at every half
    second: their folder also holds output/. A settings save that moves the
    content, the theme or a plugin folder (PATH, THEME, PLUGIN_PATHS) moves
    the watch with it: saves in the old theme made nothing, saves in the
    new one were not seen until the server started again."""
    from watchfiles import watch as changes  # noqa: PLC0415

    settings_folder = Path(settings_file).resolve().parent

    def settings_files() -> dict[str, str]:
        keys = {}
        for path in settings_folder.glob("*.py"):
            with contextlib.suppress(OSError):
                keys[str(path)] = stat_key(path.stat())
        return keys

    def folders_now(before: list[Path]) -> list[Path]:
        try:
            return watched(settings_file, content)
        except Exception:  # noqa: BLE001  (settings that do not load: the build says why)
            return before

    known = settings_files()
    folders = watched(settings_file, content)
    while not stop.is_set():
        for found in changes(
            *folders,
            stop_event=stop,
            step=50,
            debounce=1600,
            rust_timeout=500,
            yield_on_timeout=True,
            watch_filter=lambda _, path, inside=folders: relevant(
                path, settings_folder, inside
            ),
            raise_interrupt=False,
        ):
            saved = {path for _, path in found}
            now = settings_files()
            new = folders_now(folders) if known != now else folders
            saved.update(
                p for p in known.keys() | now.keys() if known.get(p) != now.get(p)
            )
            known = now
            if saved:
                take(saved)
            elif idle is not None:
                idle()
            if new != folders:
                folders = new
                break


# -- the server ----------------------------------------------------------------
class _Problems(logging.Handler):
    """What the last build that failed printed (its problems, as the
    terminal shows them), shown on every page served until a build
    succeeds: an editor looks at the browser, not at the terminal."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.setFormatter(_Formatter())
        self.lines: list[str] = []
        self._taken: list[str] | None = None
        self._thread = 0

    def emit(self, record: logging.LogRecord) -> None:
        # The build's thread only: not the server's (a 404 it logs).
        if self._taken is not None and record.thread == self._thread:
            self._taken.append(self.format(record))

    @contextlib.contextmanager
    def taking(self):
        """Keep what a build prints; when it fails, those are the lines."""
        self._taken, self._thread = [], threading.get_ident()
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield
        except BuildFailed as exc:
            self.lines = [*self._taken, f"kilas: {exc}"]
            raise
        finally:
            root.removeHandler(self)
            self._taken = None

    def banner(self) -> bytes:
        """The problems as a page shows them (nothing when there are none)."""
        if not self.lines:
            return b""
        items = "".join(
            f"<li><code>{html.escape(line)}</code></li>" for line in self.lines
        )
        return (
            '<div class="wrap"><section class="note" role="alert"'
            ' aria-labelledby="kilas-build-failed"><h2 id="kilas-build-failed">'
            "kilas: the last save did not build; this is the site as the last"
            f" good build left it</h2><ul>{items}</ul></section></div>"
        ).encode()


_BODY = re.compile(rb"<body[^>]*>")


class _Watcher:
    """livereload's watcher, driven by ``watch`` instead of polling (which
    looks every 0.8 s and throttles reloads): ``start`` sets the thread
    going; each save is taken there, then the browsers are told to reload."""

    def __init__(
        self, site: LiveSite, settings_file, content, report, problems=None
    ) -> None:
        self._tasks, self._changes, self.filepath = {}, [], None
        self.site, self.report = site, report
        self.read = site.kept is not None  # the site was read into memory
        self.due: float | None = None  # the last moment that made a build
        self.settings_file, self.content = settings_file, content
        self.stop = threading.Event()
        self.problems = problems or _Problems()
        self.code = _plugin_folders(settings_file, content)
        self.caught_up = False  # saves made while the server started, taken

    def watch(self, *args, **kwargs) -> None:  # livereload's API; all is watched
        pass

    def examine(self):
        return None, None

    def start(self, callback) -> bool:
        from tornado.ioloop import IOLoop  # noqa: PLC0415

        self.loop = IOLoop.current()
        thread = threading.Thread(target=self._watch, name="kilas-live", daemon=True)
        thread.start()
        return True

    def _watch(self) -> None:
        try:
            watch(self.settings_file, self.content, self.take, self.stop, self.idle)
        except Exception as exc:  # noqa: BLE001  (said; serving goes on)
            self.report(
                f"kilas: cannot watch for saves ({exc}); the site is served as"
                " it is: stop the server (Ctrl+C) and run it again"
            )

    def missed(self) -> set[str]:
        """The inputs saved (or deleted) since the first build began to read,
        before the server watched: once, at its first moment of watching.
        (A little early, as file times lag the clock by up to a tick: a
        file taken again is rendered the same.)"""
        if self.caught_up:
            return set()
        self.caught_up = True
        since = self.site.started - 0.05
        # Started again for a plugin's save: what was saved before, the
        # server that stopped took (else each start would start again).
        with contextlib.suppress(ValueError):
            since = max(since, float(os.environ.pop(_RESTARTED, "")))
        settings_folder = Path(self.settings_file).resolve().parent
        try:
            folders = watched(self.settings_file, self.content)
        except BuildFailed:  # the settings file is being edited: its build says
            folders = []
        found = set()
        for top in [settings_folder, *folders]:
            paths = top.glob("*.py") if top == settings_folder else top.rglob("*")
            for path in paths:
                with contextlib.suppress(OSError):
                    if (
                        relevant(str(path), settings_folder, folders)
                        and path.is_file()
                        and path.stat().st_mtime >= since
                    ):
                        found.add(str(path))
        kept = self.site.kept
        if kept is not None:
            found.update(p for p in kept.sources if not os.path.lexists(p))
        return found

    def take(self, saved: set[str]) -> None:
        saved = saved | self.missed()
        code = sorted(
            p
            for p in saved
            if p.endswith(".py") and any(Path(p).is_relative_to(f) for f in self.code)
        )
        if code:
            self.restart(code)
            return
        # Tornado turns the root logger up to INFO; keep builds to problems
        # and notices (a script removed from a body), as `invoke build`.
        logging.getLogger().setLevel(NOTICE)
        try:
            with self.problems.taking():
                done = self.site.update(saved)
        except BuildFailed as exc:
            self.report(f"kilas: {exc}")
            self._reload()  # the pages show the problems
            return
        except Exception:  # noqa: BLE001  (said; the server keeps watching)
            # With its traceback: the log's lines show messages only.
            logger.error(
                "kilas: the save could not be taken:\n%s", traceback.format_exc()
            )
            return
        if done is None:
            return
        self.problems.lines = []
        self.report(_said(done, done["saved"]))
        self._reload()

    def restart(self, code: list[str]) -> None:
        """A plugin's Python file was saved: Python keeps the modules it
        imported, so a build in this process would use the code as it was.
        The server starts again (the same command, the same process), and
        builds with the new code. Browsers reconnect but are not told to
        reload (a page loaded since cannot be told from one loaded before):
        the message says to reload."""
        names = ", ".join(sorted({Path(p).name for p in code}))
        self.report(
            f"kilas: {names}: a plugin's code changed; starting the server"
            f" again to use it (reload the page once it is {READY})"
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os.environ[_RESTARTED] = repr(time.time())
        try:
            os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
        except OSError as exc:
            self.report(
                f"kilas: the server could not start again ({exc}): stop it"
                " (Ctrl+C) and run it again to use the plugin's new code"
            )

    def _reload(self) -> None:
        from livereload.handlers import LiveReloadHandler  # noqa: PLC0415

        self.loop.add_callback(LiveReloadHandler.reload_waiters, "*")

    def take_time(self) -> None:
        logging.getLogger().setLevel(NOTICE)
        try:
            with self.problems.taking():
                settings = self.site.build()
        except BuildFailed as exc:
            self.report(f"kilas: {exc}")
            self._reload()
            return
        self.problems.lines = []
        stats = settings["KILAS_STATS"]
        self.report(
            "kilas: the site changed with time (a scheduled item is due): rebuilt,"
            f" {stats.get('rendered', 0)} page(s) rendered"
        )
        self._reload()

    def idle(self) -> None:
        """Half a second without a save: read the site into memory if the
        server started without reading it; index the changed pages for
        search (a second or two a shard; saves meanwhile wait for it)."""
        missed = self.missed()
        if missed:
            self.read = True  # the save's build reads the site
            self.take(missed)
            return
        if self.site.kept is None and not self.read:
            self.read = True
            try:
                with self.problems.taking():
                    self.site.build()
                self.report(f"kilas: the site is in memory; {READY}")
            except BuildFailed as exc:
                self.report(f"kilas: {exc}")
                self._reload()
            return
        due = self.site.due()
        if due is not None and due != self.due:
            # A scheduled item fell due, or one left the news window (once
            # for each such moment: a "now" that stands still is no loop).
            self.due = due
            self.take_time()
            return
        try:
            self.site.index()
        except Exception as exc:  # noqa: BLE001  (the server keeps watching)
            self.report(f"kilas: the search index was not updated ({exc})")


def _said(done: dict, saved: list[str]) -> str:
    names = ", ".join(sorted(Path(p).name for p in saved)[:3])
    more = f" and {len(saved) - 3} more" if len(saved) > 3 else ""
    how = "in memory" if done["fast"] else "rebuilt"
    return (
        f"kilas: {names}{more}: {how} in {done['seconds']:.2f} s,"
        f" {len(done['rendered'])} page(s) rendered"
    )


def _external_script(problems: _Problems) -> None:
    """Give pages livereload's client as a script file, not inline.

    livereload adds an inline script that adds the client; the theme's
    Content-Security-Policy (``script-src 'self'``) blocks inline scripts,
    so the browser never reloaded. A ``<script src="/livereload.js">`` from
    the same server is allowed, and so is its websocket (``'self'``).

    The same transform shows the last failed build's ``problems`` at the
    top of every page (styled by the theme's ``.note``).

    Touch point: ``livereload.server.LiveScriptInjector`` (the class its
    ``Server.application`` derives the page transform from, looked up when
    the server starts).
    """
    import livereload.server  # noqa: PLC0415

    base = livereload.server.LiveScriptInjector
    if getattr(base, "kilas_external", False):
        base.problems = problems
        return

    class ExternalScript(base):
        kilas_external = True

        def __init__(self, request) -> None:
            super().__init__(request)
            port = request.host.rpartition(":")[2] if ":" in request.host else "80"
            self.script = f'<script src="/livereload.js?port={port}"></script>'.encode()

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            status_code, headers, chunk = super().transform_first_chunk(
                status_code, headers, chunk, finishing
            )
            banner = self.problems.banner()
            body = _BODY.search(chunk) if banner else None
            if body and "html" in headers.get("Content-Type", ""):
                chunk = chunk[: body.end()] + banner + chunk[body.end() :]
                if "Content-Length" in headers:
                    length = int(headers["Content-Length"]) + len(banner)
                    headers["Content-Length"] = str(length)
            return status_code, headers, chunk

    ExternalScript.problems = problems
    livereload.server.LiveScriptInjector = ExternalScript


def _site_pages():
    """livereload's file handler, answering a page that is not there with
    the site's own ``404.html`` (as GitHub Pages and ``invoke serve`` do),
    not Tornado's bare "404: Not Found": an editor sees the page readers
    would, with the livereload script and the problems banner."""
    from livereload.handlers import StaticFileHandler  # noqa: PLC0415

    class SitePages(StaticFileHandler):
        def write_error(self, status_code, **kwargs):
            page = Path(self.root) / "404.html"
            if status_code != 404 or not page.is_file():
                return super().write_error(status_code, **kwargs)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(page.read_bytes())
            return None

    return SitePages


READY = "watching for saves"
_RESTARTED = "KILAS_LIVE_RESTARTED"  # when the server that stopped started again


def serve(
    settings_file: str | Path,
    content: str | Path | None,
    output: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    report: Callable[[str], None] = print,
) -> None:
    """Build, serve ``output/`` with livereload, and take every save."""
    from livereload import Server  # noqa: PLC0415

    from kilas.build import load_settings  # noqa: PLC0415

    # The port first: a busy one is said before a build of minutes.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    site = LiveSite(settings_file, content, output)
    problems = _Problems()
    try:
        # When output/ is already the site, it is served at once and read
        # into memory while served (the watcher's first idle moment).
        with problems.taking():
            settings = site.build(force=False)
        built = Path(settings["OUTPUT_PATH"]).name
        if site.kept is not None:
            report(f"kilas: built {built}/; the site is in memory; {READY}")
        else:
            report(
                f"kilas: {built}/ is up to date; serving it, and reading the site"
                " into memory (a save waits for that)"
            )
    except BuildFailed as exc:
        settings = load_settings(settings_file, content, output)
        report(f"kilas: {exc}; {READY}")
    watcher = _Watcher(site, settings_file, content, report, problems)
    # A build that failed is not tried again when idle: the next save is.
    watcher.read = watcher.read or bool(problems.lines)
    _external_script(problems)
    server = Server(watcher=watcher)
    server.SFH = _site_pages()
    try:
        server.serve(host=host, port=port, root=str(settings["OUTPUT_PATH"]))
    finally:
        watcher.stop.set()


def main(argv: list[str] | None = None) -> int:
    """``python -m kilas.live``: what ``invoke livereload`` runs (the
    benchmark starts it on its corpus)."""
    import argparse  # noqa: PLC0415

    from kilas.build import init_logging  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m kilas.live")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--content")
    parser.add_argument("--output")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    init_logging()
    try:
        serve(
            args.settings,
            args.content,
            args.output,
            port=args.port,
            report=lambda line: print(line, flush=True),
        )
    except BuildFailed as exc:  # the settings cannot be read
        print(f"kilas: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
