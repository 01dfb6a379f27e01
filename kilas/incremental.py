"""Fast, incremental, parallel writing for Kilas builds.

Pelican renders every page on every build. Here each page gets a key: the
hash of everything it can show (settings, theme, plugins, every item's
metadata, and the body of the item the page is about). A page whose key did
not change since the last successful build is not rendered again; its file in
the persistent staging folder is already right. Pages left to render are
shared between processes forked after reading (copy-on-write: the read site
is not copied). Bodies appear only on their own page and in feeds; listing
pages show titles and summaries, which are metadata.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
import zlib
from contextlib import nullcontext
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from pelican.generators import StaticGenerator
from pelican.plugins import signals
from pelican.utils import sanitised_join

from kilas.output import NOTICE, _open_file, _tree, shown
from kilas.pelican_coupling import (
    CoupledPelican,
    CoupledWriter,
    body_of,
    build_failed,
    content_written_held,
    memoized_urls,
    page_context,
    pages_written,
    valid_until,
)

logger = logging.getLogger(__name__)

# Forking costs about 0.1 s; below this many items one process is quicker.
PARALLEL_THRESHOLD = 150
# A new version of any of these may change pages: their versions are in the key.
_RENDERING_PACKAGES = ("pelican", "jinja2", "markdown", "typogrify", "babel")


def _stable(value):
    """A JSON-able form of settings and metadata without memory addresses."""
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_stable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if hasattr(value, "slug") and hasattr(value, "name"):
        return f"{type(value).__name__}:{value.name}:{value.slug}"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _hash_tree(digest, folder: Path, pattern: str) -> None:
    for path in sorted(folder.rglob(pattern)) if folder.exists() else ():
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())


def site_signature(generators, settings: dict) -> str:
    """Hash of all a listing page can depend on."""
    digest = hashlib.sha1()
    for package in _RENDERING_PACKAGES:
        digest.update(f"{package}={version(package)}".encode())
    # KILAS_NOW changes every build; what it decides (which items are in
    # the site) is in the items hashed below, and KILAS_SCHEDULE with them.
    volatile = {"OUTPUT_PATH", "KILAS_CACHE_DIR", "KILAS_NOW", "KILAS_SCHEDULE"}
    shown = {k: v for k, v in settings.items() if k not in volatile}
    digest.update(json.dumps(_stable(shown), default=str).encode())
    _hash_tree(digest, Path(settings["THEME"]), "*")
    for folder in settings.get("PLUGIN_PATHS", []):
        _hash_tree(digest, Path(folder), "*.py")
    # Pelican records every item and page it read (drafts, hidden and
    # translations included) and every static file in the shared context.
    context = generators[0].context
    for _, content in sorted(context["generated_content"].items()):
        digest.update(content.source_path.encode())
        digest.update(str(content.save_as).encode())
        digest.update(json.dumps(_stable(content.metadata)).encode())
    for save_as in sorted(
        static.save_as for static in context["static_content"].values()
    ):
        digest.update(save_as.encode())
    return digest.hexdigest()


def _body_hash(kwargs: dict) -> str:
    digest = hashlib.sha1()
    for key in ("article", "page"):
        content = kwargs.get(key)
        if content is not None:
            digest.update(body_of(content).encode())
    return digest.hexdigest()


class _Template:
    """A template that renders only pages this process must (re)write.

    ``decided`` names pages already claimed (True: render) or skipped."""

    def __init__(self, template, writer: KilasWriter, key: str, decided=None) -> None:
        self._template = template
        self._writer = writer
        self._key = key
        self._decided = decided or {}
        self.name = template.name

    def render(self, context) -> str:
        name = context["output_file"]
        render = self._decided.get(name)
        if render is None:
            render = self._writer.claim(name, f"{self._key}:{name}")
        return self._template.render(context) if render else ""


def _new_file(path: str, encoding: str):
    """Open ``path`` for writing as a new file.

    A file in staging is never rewritten in place: its name is unlinked
    first and a new inode takes it. (Neither truncated nor written beside and
    renamed over it: ext4 flushes such a file to disk, a millisecond a page.)
    Pelican renders a page before opening its file, so a failed render leaves
    the old file; a failed build forgets its page keys, so the next one writes
    again.
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return open(path, "w", encoding=encoding)


_MISSING = object()


class KilasWriter(CoupledWriter):
    """Pelican's writer that skips unchanged pages and shares the rest."""

    def __init__(self, output_path, settings=None) -> None:
        super().__init__(output_path, settings=settings)
        self.signature = ""
        self.previous: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.rank, self.workers = 0, 1
        self.rendered: list[str] = []
        self.on_render = None
        # Plugins listen to content_written: tell them of every page, kept
        # or written by another process too (see KilasPelican._write).
        self.hearing = False
        self._others: set[str] = set()  # pages another process writes
        self.later: list[tuple] = []  # ... told once it wrote them
        self._context: dict = {}

    def claim(self, name: str, key: str, page: bool = True) -> bool:
        """Record ``name``; True when this process must write it now.
        ``page``: a page (plugins hear of it: content_written), not a feed."""
        self.keys[name] = key
        path = sanitised_join(self.output_path, name)
        mine = zlib.crc32(name.encode()) % self.workers == self.rank
        fresh = self.previous.get(name) == key and os.path.exists(path)
        if mine and not fresh:
            self.rendered.append(name)
            if self.on_render:
                self.on_render()
            return True
        self.skip(path)
        if self.hearing and page and not mine:
            self._others.add(path)
        return False

    def hold(self, path: str, localcontext) -> bool:
        """Whether Pelican's content_written for ``path`` waits: in a forked
        writer always (the parent tells of every page), in the parent for a
        page another process writes (told once that process has ended)."""
        if self.rank:
            return True
        if path not in self._others:
            return False
        self._others.discard(path)
        context = self._context
        local = {
            key: value
            for key, value in localcontext.items()
            if context.get(key, _MISSING) is not value
        }
        self.later.append((path, context, local))
        return True

    def open_new(self, filename: str, encoding: str):
        return _new_file(filename, encoding)

    def write_file(
        self,
        name,
        template,
        context,
        relative_urls=False,
        paginated=None,
        template_name=None,
        override_output=False,
        url=None,
        **kwargs,
    ):
        if not name:
            return None
        key = hashlib.sha1(
            f"{self.signature}:{template.name}:{_body_hash(kwargs)}".encode()
        ).hexdigest()
        plan = self.pages(name, paginated, template_name, url, kwargs, self.hearing)
        # Decide each page first: when none is to be written by this process,
        # Pelican does not even copy the context (or make folders) for them.
        decided = {page: self.claim(page, f"{key}:{page}") for page, _ in plan}
        if not any(decided.values()):
            for page, extra in plan:
                path = sanitised_join(self.output_path, page)
                self.unskip(path)
                if self.hearing:
                    local = page_context(context, page, relative_urls, kwargs, extra)
                    self._heard(path, context, local)
            return None
        # Pelican tells content_written of every page of the call: those it
        # renders, those kept, and those of another process (held back until
        # that process wrote them: see hold).
        self._context = context
        return super().write_file(
            name,
            _Template(template, self, key, decided),
            context,
            relative_urls,
            paginated,
            template_name,
            override_output,
            url,
            **kwargs,
        )

    def _heard(self, path: str, context, local: dict) -> None:
        """Tell plugins of a page this process does not write now: kept from
        the last build (at once), or written by another process (later)."""
        if path in self._others:
            self._others.discard(path)
            self.later.append((path, context, local))
        else:
            signals.content_written.send(path, context={**context, **local})

    def write_feed(self, elements, context, path=None, *args, **kwargs):
        if not path:
            return super().write_feed(elements, context, path, *args, **kwargs)
        shown = json.dumps(_stable([args, kwargs]))
        digest = hashlib.sha1(f"{self.signature}:{shown}".encode())
        for element in elements[: self.settings["FEED_MAX_ITEMS"]]:
            digest.update(body_of(element).encode())
        if not self.claim(path, digest.hexdigest(), page=False):
            self.unskip(sanitised_join(self.output_path, path))
            return None
        return super().write_feed(elements, context, path, *args, **kwargs)


class KilasPelican(CoupledPelican):
    """Pelican's run, with reading and writing as in ``Pelican.run`` but
    writing incremental and spread over ``workers`` processes."""

    def __init__(self, settings, check_only=False, workers=None, progress=None):
        # Set first: plugins see it on `initialized` (sent by Pelican's init).
        self.check_only = check_only
        super().__init__(settings)
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.progress = progress
        self.stats: dict = {}

    def run(self):
        try:
            with memoized_urls():
                self._run()
        except BaseException:
            # Plugins stop what they started in the background.
            build_failed.send(self)
            raise

    def _run(self):
        started = time.perf_counter()
        generators = self.read()
        self._lap("read", started)
        items = sum(len(getattr(g, "articles", [])) for g in generators)
        self.stats["items"] = items
        if self.check_only:
            return
        self.refresh_links(generators)
        # Kilas' writer, made here: Pelican's get_writer signal is for a
        # stock run (no plugin of ours connects it).
        writer = KilasWriter(self.output_path, settings=self.settings)
        writer.signature = site_signature(generators, self.settings)
        signature, writer.previous = _load_keys(self.settings)
        if self.progress:
            writer.on_render = self.progress.page_written
        # With the site's metadata, settings and theme as last time, only the
        # pages of items whose text changed are rendered: too few to fork for.
        same_site = signature == writer.signature and writer.previous
        many = items >= PARALLEL_THRESHOLD and not same_site
        workers = self.workers if many else 1
        _detach_static(Path(self.output_path), generators, self.settings)
        self._write(generators, writer, workers)
        pages_written.send(self, generators=generators)
        _remove_stale(Path(self.output_path), writer.keys, generators, self.settings)
        self._lap("write", started)
        signals.finalized.send(self)
        self._lap("finalize", started)
        self.stats["valid_until"] = _valid_until(self, generators)
        _save_keys(self.settings, writer.signature, writer.keys)
        self.stats["rendered"] = len(writer.rendered)
        self.stats["rendered_pages"] = sorted(writer.rendered)
        self.stats["pages"] = len(writer.keys)

    def _lap(self, name: str, started: float) -> None:
        """Seconds from the start of the run to the end of each phase."""
        self.stats[f"{name}_s"] = round(time.perf_counter() - started, 2)
        logger.info("kilas: %s done at %.2f s", name, self.stats[f"{name}_s"])

    def _write(self, generators, writer: KilasWriter, workers: int) -> None:
        """Write in ``workers`` processes: forked children take a share each."""
        # Only when a plugin listens: telling of kept pages costs a copy of
        # the context each.
        writer.hearing = bool(signals.content_written.receivers)
        with content_written_held(writer.hold) if writer.hearing else nullcontext():
            self._write_shares(generators, writer, workers)
            # Every process has ended: its pages are on disk.
            for path, context, local in writer.later:
                signals.content_written.send(path, context={**context, **local})
            writer.later = []

    def _write_shares(self, generators, writer: KilasWriter, workers: int) -> None:
        children = []
        results = Path(tempfile.mkdtemp(prefix="kilas-write-"))
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            for rank in range(1, workers):
                pid = os.fork()
                if pid == 0:
                    self._write_share(generators, writer, rank, workers, results)
                children.append(pid)
            writer.rank, writer.workers = 0, workers
            for generator in generators:
                if hasattr(generator, "generate_output"):
                    generator.generate_output(writer)
            for pid in children:
                _, status = os.waitpid(pid, 0)
                result = results / f"{pid}.pickle"
                failure = results / f"{pid}.oserror"
                if failure.exists():  # an I/O error: the build ends in one line
                    raise OSError(*pickle.loads(failure.read_bytes()))
                if os.waitstatus_to_exitcode(status) != 0 or not result.exists():
                    raise RuntimeError("kilas: a writing process failed (see above)")
                with result.open("rb") as handle:
                    rendered, problems = pickle.load(handle)
                writer.rendered += rendered
                for level, count in problems.items():
                    for _ in range(count):
                        logger.log(
                            logging.getLevelName(level),
                            "kilas: (counted in a writing process)",
                        )
        finally:
            shutil.rmtree(results, ignore_errors=True)

    def _write_share(self, generators, writer, rank, workers, results: Path):
        """In a forked child: write this rank's pages, report, and exit."""
        code = 1
        try:
            writer.rank, writer.workers, writer.on_render = rank, workers, None
            for generator in generators:
                if isinstance(generator, StaticGenerator):
                    continue  # static files are copied once, by the parent
                if hasattr(generator, "generate_output"):
                    generator.generate_output(writer)
            problems = {}
            for handler in logging.getLogger().handlers:
                problems.update(getattr(handler, "counts", {}))
            with (results / f"{os.getpid()}.pickle").open("wb") as handle:
                pickle.dump((writer.rendered, problems), handle)
            code = 0
        except OSError as exc:
            name = exc.filename if exc.filename is not None else _open_file(exc)
            failure = pickle.dumps((exc.errno, exc.strerror, name))
            try:
                (results / f"{os.getpid()}.oserror").write_bytes(failure)
            except OSError:
                logger.error("kilas: %s: %s", name, exc.strerror)
        except BaseException:
            logger.exception("kilas: writing process %s failed", rank)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _valid_until(pelican, generators) -> float | None:
    """The first moment (a timestamp) after the build's "now" at which the
    site would change by itself, or None: what plugins answer
    (``kilas_valid_until``), and the items scheduled after "now", which
    kilas_contract keeps in KILAS_SCHEDULE, join the site at their time."""
    moments = [
        when.timestamp()
        for _, when in valid_until.send(pelican, generators=generators)
        if when is not None
    ]
    for entry in pelican.settings.get("KILAS_SCHEDULE") or []:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            moments.append(datetime.fromisoformat(entry["date"]).timestamp())
    return min(moments, default=None)


def _detach_static(staging: Path, generators, settings: dict) -> None:
    """Make Pelican copy again every static file whose source changed.

    Pelican copies a static file only when its source is newer than the
    copy: an image replaced by an older file would never be copied. Here a
    copy is dropped (Pelican then copies the file) when its source's bytes
    changed. A record of each source's size, times and inode, with the hash
    of its bytes (``static.json``), says which sources to read at all. The
    theme's files, which Pelican copies on every build, are dropped too, so
    that they are written as new files (see ``_new_file``).
    """
    for name in _theme_files(settings):
        (staging / name).unlink(missing_ok=True)
    folder = settings.get("KILAS_CACHE_DIR")
    path = Path(folder) / "static.json" if folder else None
    known = _read_static(path)
    seen = {}
    for generator in generators:
        for static in getattr(generator, "staticfiles", None) or []:
            source = os.path.join(generator.path, static.source_path)
            target = staging / static.save_as
            key = _source_key(os.stat(source))
            old_key, old_digest = known.get(static.save_as, ("", ""))
            if key == old_key and target.exists():
                seen[static.save_as] = (key, old_digest)
                continue
            digest = _file_digest(source)
            seen[static.save_as] = (key, digest)
            if digest != old_digest:
                target.unlink(missing_ok=True)
    if path and seen != known:
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(seen), encoding="utf-8")
        os.replace(temporary, path)


def _source_key(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"


def _file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_static(path: Path | None) -> dict[str, tuple[str, str]]:
    """The record of static sources, or nothing (every copy is checked)."""
    if path is None:
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): (str(v[0]), str(v[1])) for k, v in saved.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        logger.log(
            NOTICE, "kilas: %s is unreadable; every static file is checked", path
        )
        return {}


def _keys_file(settings: dict) -> Path | None:
    folder = settings.get("KILAS_CACHE_DIR")
    return Path(folder) / "pages.json" if folder else None


def _load_keys(settings: dict) -> tuple[str, dict[str, str]]:
    """Site signature and page keys of the last successful build, forgotten
    until this one succeeds. Keys that cannot be read are dropped with a
    notice: every page is then written again."""
    path = _keys_file(settings)
    if not path or not os.path.lexists(path):
        return "", {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        signature, keys = saved["signature"], saved["pages"]
        if not isinstance(signature, str) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
        ):
            raise TypeError("not a signature and keys")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.log(
            NOTICE,
            "kilas: %s is unreadable (%s); every page is written again",
            shown(path),
            exc,
        )
        signature, keys = "", {}
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    return signature, keys


def _save_keys(settings: dict, signature: str, keys: dict[str, str]) -> None:
    path = _keys_file(settings)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"signature": signature, "pages": keys}
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(saved, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)


def forget_pages(settings: dict, names: set[str] | None) -> None:
    """Drop the keys of pages whose staged files were dropped (None: every
    page), so that they are written again."""
    path = _keys_file(settings)
    if not path or not path.is_file() or names == set():
        return
    if names is None:
        path.unlink()
        return
    signature, keys = _load_keys(settings)
    kept = {k: v for k, v in keys.items() if os.path.normpath(k) not in names}
    _save_keys(settings, signature, kept)


def _theme_files(settings: dict) -> set[str]:
    """Where Pelican copies the theme's static files (THEME_STATIC_PATHS)."""
    files = set()
    theme, target = Path(settings["THEME"]), settings["THEME_STATIC_DIR"]
    for name in settings["THEME_STATIC_PATHS"]:
        source = theme / name
        found = source.rglob("*") if source.is_dir() else [source]
        for path in found:
            if path.is_file():
                relative = path.relative_to(source) if source.is_dir() else path.name
                files.add(os.path.normpath(os.path.join(target, relative)))
    return files


def _remove_stale(staging: Path, pages: dict, generators, settings: dict) -> None:
    """Delete what earlier builds wrote and this one no longer produces."""
    keep = {os.path.normpath(name) for name in pages} | _theme_files(settings)
    for generator in generators:
        for static in getattr(generator, "staticfiles", None) or []:
            keep.add(os.path.normpath(static.save_as))
    # The search plugin keeps its own folder in step (shard by shard).
    # (It may be writing there right now: see kilas_search.index_early.)
    search = settings.get("SEARCH_BUNDLE_DIR", "").strip("/")
    # So does kilas_images (photos and share cards, copied in at the end).
    images = settings.get("KILAS_IMAGES_DIR", "").strip("/")
    owned = tuple(f"{folder}/" for folder in (search, images) if folder)
    # What the staging folder held before this build: the record its check
    # went by (it dropped anything else), or else a walk of the folder.
    record = generators[0].context.get("KILAS_STAGED") if generators else None
    present = set(record.staging) if record is not None else set(_tree(staging)[0])
    # ... and every static file Pelican may have copied this time (the
    # context's list, which a plugin may have left longer than its own).
    for generator in generators:
        for static in getattr(generator, "context", {}).get("staticfiles") or []:
            present.add(os.path.normpath(static.save_as))
    emptied = set()  # folders that lost a file
    for name in present:
        if name in keep or (owned and name.startswith(owned)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging / name)
        folder = os.path.dirname(name)
        while folder and folder not in emptied:
            emptied.add(folder)
            folder = os.path.dirname(folder)
    for folder in sorted(emptied, reverse=True):
        if owned and f"{folder}/".startswith(owned):
            continue
        with contextlib.suppress(OSError):  # not empty after all
            os.rmdir(staging / folder)
