"""Fast, incremental, parallel writing for Kilas builds.

Pelican renders every page on every build. Here each page is rendered only
when what it read last time changed (``kilas.records``: the names its
templates looked up and the templates they loaded, each page's key a digest
of their values). Pages left to render are shared between processes forked
after reading (copy-on-write: the read site is not copied); each process
checks and records its own pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
import os
import pickle
import shutil
import sys
import tempfile
import time
import zlib
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

from pelican.contents import Content
from pelican.generators import StaticGenerator
from pelican.plugins import signals
from pelican.utils import sanitised_join

from kilas.output import NOTICE, _open_file, _tree, shown
from kilas.pelican_coupling import (
    CoupledPelican,
    CoupledWriter,
    FileOverwriteFailedError,
    build_failed,
    content_written_held,
    memoized_urls,
    page_context,
    pages_written,
    site_written,
    valid_until,
)
from kilas.records import (
    Digests,
    ReadingDict,
    Recorder,
    Settings,
    Unkeyable,
    environment_digest,
    shown_body,
    site_digests,
    stable,
    surroundings,
)

logger = logging.getLogger(__name__)

# Forking costs about 0.1 s; below this many items one process is quicker.
PARALLEL_THRESHOLD = 150


class _Template:
    """A template that renders only pages this process must (re)write, and
    records what each page it renders reads.

    ``decided`` names pages already claimed (True: render) or skipped."""

    def __init__(self, template, writer: KilasWriter, decided: dict) -> None:
        self._template = template
        self._writer = writer
        self._decided = decided
        self.name = template.name

    def render(self, context) -> str:
        name = context["output_file"]
        if not self._decided.get(name, True):
            return ""
        template, recorder = self._template, self._writer.recorder
        maps = (context, template.environment.globals)
        with recorder.page(maps, template.name) as reads:
            html = template.render(context)
        reads = tuple(sorted(reads))
        self._writer.records[name] = (
            recorder.key(reads, maps, template.environment),
            reads,
        )
        return html


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


def _asker(asker: tuple) -> str:
    """What asked for a file: ``content/pages/cari.md`` or ``the page of
    the template search.html``."""
    template, content = asker
    if content is not None and getattr(content, "source_path", None):
        return shown(content.source_path)
    return f"the page of the theme's {template}"


class KilasWriter(CoupledWriter):
    """Pelican's writer that skips unchanged pages and shares the rest."""

    def __init__(self, output_path, settings=None) -> None:
        super().__init__(output_path, settings=settings)
        self.recorder = Recorder("")
        # Each page's record (key, reads): the last build's, and this
        # process's pages' in this build (kept or made again).
        self.previous: dict[str, tuple] = {}
        self.records: dict[str, tuple] = {}
        self.names: set[str] = set()  # every page and feed of this build
        # When only bodies changed since the last build: the items' and
        # pages' source paths whose body changed (else None).
        self.changed_bodies: set[str] | None = None
        self.signature, self.bodies = "", {}
        self.page_settings: list[str] = []  # the last build's
        # Settings forked writers read while pages rendered, and otherwise.
        self.reads: tuple[set, set] = (set(), set())
        self.rank, self.workers = 0, 1
        self.rendered: list[str] = []
        self.on_render = None
        # Plugins listen to content_written: tell them of every page, kept
        # or written by another process too (see KilasPelican._write).
        self.hearing = False
        self._others: set[str] = set()  # pages another process writes
        # Only these pages (feeds all) may be written: kilas.live renders
        # the pages of the items whose body it changed in memory.
        self.only: set[str] | None = None
        self.later: list[tuple] = []  # ... told once it wrote them
        self._context: dict = {}
        # What asked for each file this build (template, content): two asks
        # for one file are two pages at one address, whichever process
        # writes it and whether or not it is kept.
        self._asked: dict[str, tuple] = {}

    def again(self, changed: set[str], only: set[str]) -> None:
        """Ready to write again in this process (``kilas.live``): the pages
        ``only`` and the feeds, knowing that only the bodies of the items
        and pages at the source paths ``changed`` changed."""
        self.previous = dict(self.records)
        self.rendered = []
        self.changed_bodies, self.only = set(changed), set(only)
        self.rank, self.workers, self.on_render = 0, 1, None
        self.hearing, self.later, self._others = False, [], set()
        self._written_files.clear()
        self._overridden_files.clear()
        self._asked.clear()
        self._skip.clear()
        self.recorder.digests = Digests()

    def _ask(self, name: str, template, kwargs: dict) -> None:
        """Refuse a second page at an address this build already gave (a
        page whose slug is a section's word: ``cari``, ``kategori``)."""
        asker = (template.name, kwargs.get("article") or kwargs.get("page"))
        first = self._asked.setdefault(name, asker)
        if first != asker:
            raise FileOverwriteFailedError(
                f"two pages would be written to {name}: {_asker(first)}"
                f" and {_asker(asker)}; give the item or page"
                " another file name or 'Slug:'"
            )

    def claim(self, name: str, holds, page: bool = True) -> bool:
        """Record ``name``; True when this process must write it now.
        ``holds(record)``: whether the last build's record of the page still
        holds. ``page``: a page (plugins hear of it: content_written), not a
        feed."""
        self.names.add(name)
        path = sanitised_join(self.output_path, name)
        mine = zlib.crc32(name.encode()) % self.workers == self.rank
        if mine:
            previous = self.previous.get(name)
            if previous is not None and os.path.exists(path) and holds(previous):
                self.records[name] = previous
            else:
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
        if not name or (self.only is not None and name not in self.only):
            return None
        if not override_output:
            self._ask(name, template, kwargs)
        env = template.environment
        if self._kept_unread(name, paginated, template_name, url, kwargs, context, env):
            return None
        self.recorder.install(env)
        plan = self.pages(name, paginated, template_name, url, kwargs, True)
        # Decide each page first: when none is to be written by this process,
        # Pelican does not even copy the context (or make folders) for them.
        decided, kept = {}, []
        for page, extra in plan:
            local = page_context(context, page, relative_urls, kwargs, extra)
            maps = (local, context, env.globals)
            decided[page] = self.claim(
                page, lambda record, maps=maps: self._holds(record, maps, env)
            )
            kept.append((page, local))
        if not any(decided.values()):
            for page, local in kept:
                path = sanitised_join(self.output_path, page)
                self.unskip(path)
                if self.hearing:
                    self._heard(path, context, local)
            return None
        # Pelican tells content_written of every page of the call: those it
        # renders, those kept, and those of another process (held back until
        # that process wrote them: see hold).
        self._context = context
        return super().write_file(
            name,
            _Template(template, self, decided),
            context,
            relative_urls,
            paginated,
            template_name,
            override_output,
            url,
            **kwargs,
        )

    def _kept_unread(self, name, paginated, template_name, url, kwargs, context, env):
        """When only bodies changed: keep this call's pages as they are,
        without making their contexts, if none can show a changed body
        (``_holds`` would say so of each: no variable of the call, of the
        site's context or of the templates' globals is an item or page whose
        body changed, and each page has a key and a file). False: the call
        is decided page by page."""
        changed = self.changed_bodies
        if changed is None or self.hearing or self.workers != 1:
            return False
        for variables in (kwargs, context, env.globals):
            for value in variables.values():
                if isinstance(value, Content) and value.source_path in changed:
                    return False
        plan = self.pages(name, paginated, template_name, url, kwargs)
        kept = []
        for page, _ in plan:
            previous = self.previous.get(page)
            if previous is None or previous[0] is None:
                return False
            path = sanitised_join(self.output_path, page)
            if not os.path.exists(path):
                return False
            kept.append((page, previous))
        for page, previous in kept:
            self.names.add(page)
            self.records[page] = previous
        return True

    def _holds(self, record, maps: tuple, env) -> bool:
        key, reads = record
        if key is None:
            return False
        if self.changed_bodies is not None and not self.recorder.shows(
            reads, maps, self.changed_bodies
        ):
            return True  # only bodies changed, none that this page shows
        return self.recorder.key(reads, maps, env) == key

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
        shown = elements[: self.settings["FEED_MAX_ITEMS"]]
        recorder = self.recorder

        def key(reads) -> str | None:
            """A feed shows its arguments, the settings, its entries' fields
            and bodies, what it read from the context (the plugins that
            hear of it: kilas_feeds' ids read the site's oldest item) and
            the templates they loaded (kilas_contract's source links)."""
            digest = hashlib.blake2b(digest_size=20)
            digest.update(json.dumps(stable([args, kwargs])).encode())
            try:
                for element in shown:
                    digest.update(recorder.digests.of(element, 1))
                    digest.update(recorder.digests.of(shown_body(element)))
                digest.update(recorder.names(reads, context))
                digest.update(recorder.templates(reads))
            except Unkeyable:
                return None
            return digest.hexdigest()

        changed = self.changed_bodies
        if changed is not None and not any(
            getattr(element, "source_path", None) in changed for element in shown
        ):
            holds = lambda record: record[0] is not None  # noqa: E731  (as last time)
        else:
            holds = lambda record: (  # noqa: E731
                record[0] is not None and key(record[1]) == record[0]
            )
        if not self.claim(path, holds, page=False):
            self.unskip(sanitised_join(self.output_path, path))
            return None
        reading = ReadingDict(context)
        with recorder.loading() as loaded:
            written = super().write_feed(elements, reading, path, *args, **kwargs)
        reads = tuple(sorted(reading.reads | {("t", name) for name in loaded}))
        self.records[path] = (key(reads), reads)
        return written


class KilasPelican(CoupledPelican):
    """Pelican's run, with reading and writing as in ``Pelican.run`` but
    writing incremental and spread over ``workers`` processes."""

    def __init__(self, settings, check_only=False, workers=None, progress=None):
        # Set first: plugins see it on `initialized` (sent by Pelican's init).
        self.check_only = check_only
        super().__init__(settings)
        if isinstance(settings, Settings):
            settings.forget_reads()  # the plugins' checks of every setting
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
        environment, page_settings, site, writer.previous = _load_records(self.settings)
        writer.page_settings = page_settings
        writer.recorder = Recorder(
            environment_digest(self.settings, page_settings), self.settings
        )
        if environment != writer.recorder.environment:
            writer.previous = {}  # every key holds the environment's digest
        contents = generators[0].context.get("generated_content", {}).values()
        signature, writer.bodies = site_digests(contents)
        around = surroundings(self.settings, page_settings)
        if (
            writer.previous
            and signature
            and f"{signature}:{around}" == site.get("signature")
        ):
            before = site.get("bodies", {})
            writer.changed_bodies = {
                path for path, body in writer.bodies.items() if before.get(path) != body
            }
        writer.signature = signature
        for generator in generators:
            if getattr(generator, "env", None) is not None:
                writer.recorder.install(generator.env)
        if isinstance(self.settings, Settings):
            self.settings.recorder = writer.recorder
        if self.progress:
            writer.on_render = self.progress.page_written
        # Each process checks its own share of the pages against their
        # records (most of an edit's work), and renders those that changed.
        # When only bodies changed, only their pages and feeds are checked.
        bodies_only = writer.changed_bodies is not None
        many = items >= PARALLEL_THRESHOLD and not bodies_only
        workers = self.workers if many else 1
        _detach_static(Path(self.output_path), generators, self.settings)
        self._write(generators, writer, workers)
        pages_written.send(self, generators=generators)
        _remove_stale(Path(self.output_path), writer.names, generators, self.settings)
        self._lap("write", started)
        signals.finalized.send(self)
        self._lap("finalize", started)
        self.stats["valid_until"] = _valid_until(self, generators)
        self._save_records(writer)
        self.stats["rendered"] = len(writer.rendered)
        self.stats["rendered_pages"] = sorted(writer.rendered)
        self.stats["pages"] = len(writer.names)
        self.stats["unkeyable"] = sorted(
            name for name, (key, _) in writer.records.items() if key is None
        )
        site_written.send(self, generators=generators, writer=writer)

    def _save_records(self, writer: KilasWriter) -> None:
        """The pages' records, with the environment's digest made without
        the settings only pages read in this build (the next build leaves
        out the same ones)."""
        settings = self.settings
        page_settings = set()
        if isinstance(settings, Settings):
            settings.recorder = None
            # A setting stays one only pages read (pages this build kept
            # read it too) until something reads it at another time.
            settings.inside |= writer.reads[0] | set(writer.page_settings)
            settings.outside |= writer.reads[1]
            page_settings = settings.page_settings()
        environment = environment_digest(settings, page_settings)
        # Made with this build's settings only pages read: the next build
        # makes it with the same ones.
        around = surroundings(settings, page_settings)
        signature = f"{writer.signature}:{around}" if writer.signature else ""
        site = {"signature": signature, "bodies": writer.bodies}
        _save_records(settings, environment, page_settings, site, writer.records)

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
                    rendered, records, problems, (inside, outside) = pickle.load(handle)
                writer.rendered += rendered
                writer.records.update(records)
                writer.reads[0].update(inside)
                writer.reads[1].update(outside)
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
                settings = self.settings
                reads = (
                    (settings.inside, settings.outside)
                    if isinstance(settings, Settings)
                    else (set(), set())
                )
                pickle.dump((writer.rendered, writer.records, problems, reads), handle)
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


def _records_file(settings: dict) -> Path | None:
    folder = settings.get("KILAS_CACHE_DIR")
    return Path(folder) / RECORDS_FILE if folder else None


# The pages' records, in marshal's format: about 20 MB at 10,000 items,
# read in 0.14 s and written in 0.12 s (as JSON: 0.48 and 0.23 s).
RECORDS_FILE = "pages.marshal"


def _load_records(settings: dict) -> tuple[str, list[str], dict, dict[str, tuple]]:
    """The environment's digest, the settings only pages read, the site's
    digests (``site_digests``) and the pages' records of the last successful
    build, forgotten until this one succeeds.
    Records that cannot be read are dropped with a notice: every page is
    then written again."""
    path = _records_file(settings)
    if not path or not os.path.lexists(path):
        return "", [], {}, {}
    try:
        saved = marshal.loads(path.read_bytes())
        environment, reads = saved["environment"], saved["reads"]
        page_settings, site = saved["page_settings"], saved["site"]
        _check_records(environment, page_settings, site, reads)
        records = {}
        for name, (key, index) in saved["pages"].items():
            if not (
                type(name) is str
                and (key is None or type(key) is str)
                and type(index) is int
                and index >= 0
            ):
                raise TypeError(f"a page's record: {name!r}")
            records[name] = (key, reads[index])
    except (
        OSError,
        EOFError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
    ) as exc:
        logger.log(
            NOTICE,
            "kilas: %s is unreadable (%s); every page is written again",
            shown(path),
            exc,
        )
        environment, page_settings, site, records = "", [], {}, {}
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    return environment, page_settings, site, records


def _check_records(environment, page_settings, site, reads) -> None:
    """Raise TypeError unless the records read have the shape written
    (each read a pair of texts; most pages share their reads)."""
    bodies, seen = site["bodies"], set()
    for entry in reads:
        if type(entry) is not tuple:
            raise TypeError("a page's reads")
        seen.update(entry)
    texts = [environment, site["signature"], *page_settings, *bodies, *bodies.values()]
    if not (
        type(page_settings) is list
        and type(bodies) is dict
        and type(reads) is list
        and all(type(text) is str for text in texts)
        and all(
            type(read) is tuple
            and len(read) == 2
            and type(read[0]) is str
            and type(read[1]) is str
            for read in seen
        )
    ):
        raise TypeError("not the records' shape")


def _save_records(
    settings: dict, environment: str, page_settings, site: dict, records: dict
) -> None:
    """Pages' records, each page's reads kept once in a table (most pages of
    a kind read the same names)."""
    path = _records_file(settings)
    if not path:
        return
    table: dict[tuple, int] = {}
    pages = {
        name: [key, table.setdefault(reads, len(table))]
        for name, (key, reads) in records.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {
        "environment": environment,
        "page_settings": sorted(page_settings),
        "site": {
            "signature": site.get("signature", ""),
            "bodies": dict(site.get("bodies", {})),
        },
        "reads": [tuple(tuple(read) for read in reads) for reads in table],
        "pages": {name: tuple(record) for name, record in sorted(pages.items())},
    }
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(marshal.dumps(saved))
    os.replace(temporary, path)


def forget_pages(settings: dict, names: set[str] | None) -> None:
    """Drop the records of pages whose staged files were dropped (None:
    every page), so that they are written again."""
    path = _records_file(settings)
    if not path or not path.is_file() or names == set():
        return
    if names is None:
        path.unlink()
        return
    environment, page_settings, site, records = _load_records(settings)
    kept = {k: v for k, v in records.items() if os.path.normpath(k) not in names}
    _save_records(settings, environment, page_settings, site, kept)


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


def _remove_stale(staging: Path, pages, generators, settings: dict) -> None:
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
