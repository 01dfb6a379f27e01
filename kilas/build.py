"""Atomic Kilas builds: Pelican writes into staging, ``output/`` changes only
when the whole build had no warning and no error, and then in one step
(:mod:`kilas.output`).

``python -m kilas.build [--settings F] [--content DIR] [--output DIR]
[--siteurl URL] [--check]``. ``--check`` reads and validates every item and
writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from kilas import fastpath
from kilas.output import (
    OutputError,
    StagingCheck,
    UnsafeTarget,
    build_lock,
    check_known,
    check_target,
    publish,
    recover,
    remove_builds,
    retained_names,
)
from kilas.output import describe as describe_error

# Pelican is imported when a build has something to do: a build that would
# change nothing (kilas.fastpath) stops before.

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent


class BuildFailed(Exception):
    """The build logged warnings or errors; output/ was left as it was."""


class _Tally(logging.Handler):
    """Counts every warning and error, whoever logs it."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class _Formatter(logging.Formatter):
    """Contract problems print as ``path:line: field: message``; the rest of
    Pelican's messages keep their level in front."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name.startswith("kilas_contract"):
            return message
        return f"{record.levelname.lower()}: {message}"


def init_logging(verbose: bool = False) -> None:
    """Plain lines on stderr: one problem a line, easy to read and to grep."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # NOTICE (25, kilas_contract): shown, yet not a warning that fails a build.
    root.setLevel(logging.INFO if verbose else 25)


class _Progress:
    """Items read, pages written and time left, on a terminal only."""

    def __init__(self, items: int) -> None:
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self._read = self._bar.add_task("items read", total=items)
        self._written = self._bar.add_task("pages written", total=None)

    @staticmethod
    def wanted() -> bool:
        return sys.stderr.isatty() and not os.environ.get("CI")

    def __enter__(self):
        from pelican.plugins import signals  # noqa: PLC0415

        self._bar.start()
        signals.content_object_init.connect(self.item_read)
        return self

    def __exit__(self, *exc_info) -> None:
        from pelican.plugins import signals  # noqa: PLC0415

        signals.content_object_init.disconnect(self.item_read)
        self._bar.stop()

    def item_read(self, content) -> None:
        self._bar.advance(self._read)

    def page_written(self) -> None:
        self._bar.advance(self._written)


def load_settings(
    settings_file: str | Path = "pelicanconf.py",
    content: str | Path | None = None,
    output: str | Path | None = None,
    siteurl: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Pelican settings with the command line's overrides applied."""
    from pelican.settings import read_settings  # noqa: PLC0415

    from kilas.records import Settings  # noqa: PLC0415

    override: dict = dict(extra or {})
    if content is not None:
        override["PATH"] = str(Path(content).resolve())
    if output is not None:
        override["OUTPUT_PATH"] = str(Path(output).resolve())
    if siteurl is not None:
        override["SITEURL"] = siteurl.rstrip("/")
        override["FEED_DOMAIN"] = siteurl.rstrip("/")
    # Development builds use root-relative links on purpose (SITEURL = ""):
    # Pelican's warning that feeds then lack a domain is noise there.
    settings_logger = logging.getLogger("pelican.settings")
    settings_logger.addFilter(_quiet_feed_domain)
    try:
        return Settings(read_settings(str(settings_file), override=override))
    except Exception as exc:  # noqa: BLE001  (the settings file is Python)
        raise BuildFailed(_settings_problem(settings_file, exc)) from None
    finally:
        settings_logger.removeFilter(_quiet_feed_domain)


def _settings_problem(settings_file: str | Path, exc: Exception) -> str:
    """``pelicanconf.py:12: ...``: where the settings file went wrong (a
    Python error in it, or a value Pelican refuses), instead of a traceback.
    The place is in the file that has it: ``publishconf.py`` reads
    ``pelicanconf.py`` beside it, whose mistake is named as its own."""
    path = os.path.realpath(settings_file)
    folder = os.path.dirname(path)

    def show(found: str) -> str:
        shown = os.path.relpath(found)
        return found if shown.startswith("..") else shown

    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        code = (exc.text or "").strip()
        code = f" ({code})" if code else ""
        where = show(os.path.realpath(exc.filename))
        return f"{where}:{exc.lineno}: {exc.msg}{code}; nothing was built"
    where = show(path)
    for frame in traceback.extract_tb(exc.__traceback__):
        found = os.path.realpath(frame.filename)
        if found == path or (
            found.endswith(".py") and os.path.dirname(found) == folder
        ):
            where = f"{show(found)}:{frame.lineno}"
    return f"{where}: {type(exc).__name__}: {exc}; nothing was built"


def _quiet_feed_domain(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Feeds generated without SITEURL")


def _run_pelican(settings: dict, check_only: bool) -> tuple[_Tally, dict, OSError]:
    """Run Pelican once; return the tally of warnings and errors, stats, and
    the I/O error that stopped it (None when none did)."""
    from pelican.plugins import signals  # noqa: PLC0415

    from kilas.incremental import KilasPelican  # noqa: PLC0415
    from kilas.pelican_coupling import reset_log_limits  # noqa: PLC0415

    tally = _Tally()
    root = logging.getLogger()
    root.addHandler(tally)
    # Pelican's duplicate filter remembers messages across runs in one process.
    reset_log_limits()
    progress = None
    if _Progress.wanted():
        items = sum(1 for _ in Path(settings["PATH"]).rglob("*.md"))
        progress = _Progress(items)
    pelican = failure = None
    # Every file read into the site (items, pages, static files), for
    # `invoke gh-pages` to name the ones not committed.
    sources: set[str] = set()

    def read(content) -> None:
        sources.add(content.source_path)

    signals.content_object_init.connect(read)
    try:
        with progress or contextlib.nullcontext():
            pelican = KilasPelican(settings, check_only=check_only, progress=progress)
            pelican.run()
    except OSError as exc:
        if exc.errno is None:  # e.g. Jinja's TemplateNotFound
            logger.critical(
                "%s", _in_template(exc), exc_info=settings.get("DEBUG", False)
            )
        failure = exc
    except Exception as exc:
        logger.critical("%s", _in_template(exc), exc_info=settings.get("DEBUG", False))
    finally:
        signals.content_object_init.disconnect(read)
        root.removeHandler(tally)
    stats = pelican.stats if pelican else {}
    stats["sources"] = sorted(sources)
    return tally, stats, failure


def _in_template(exc: BaseException) -> str:
    """``theme/templates/article.html:12: template: 'x' is undefined``: an
    error of a template (Jinja's syntax, or one raised while it renders)
    named with the template and its line, as the last template in the
    traceback (Jinja puts its templates' lines there); else the message."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError  # noqa: PLC0415

    place = None
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        place = (exc.filename, exc.lineno)
    else:
        for frame, line in traceback.walk_tb(exc.__traceback__):
            name = frame.f_code.co_filename
            if not name.endswith(".py") and os.path.isfile(name):
                place = (name, line)
    message = str(getattr(exc, "message", None) or exc)
    if isinstance(exc, TemplateNotFound):
        message = f"no template {exc.name!r} in the theme"
    if place is None:
        return message
    shown = os.path.relpath(place[0])
    return f"{place[0] if shown.startswith('..') else shown}:{place[1]}: template: {message}"


def cache_dir(output: Path) -> Path:
    """Where a site's staging folder and caches live: beside its output."""
    return output.parent / ".kilas-cache" / output.name


def build(
    settings_file: str | Path = "pelicanconf.py",
    content: str | Path | None = None,
    output: str | Path | None = None,
    siteurl: str | None = None,
    check_only: bool = False,
    extra: dict | None = None,
    force: bool = False,
) -> dict:
    """Build atomically; raise BuildFailed (output untouched) on any problem.

    Pelican writes into a staging folder kept between builds (so unchanged
    pages are not rendered again); only a build with no warning and no error
    is published, and ``output/`` then switches to it in one step. One build
    at a time writes an output folder; a second one waits. A build that
    would change nothing stops before Pelican starts (kilas.fastpath),
    unless ``force``d (``kilas.live`` needs the site read).
    """
    started = time.perf_counter()
    inputs = None
    if not check_only:
        inputs = fastpath.Inputs(settings_file, content, output, siteurl, extra)
        unchanged = None if force else _unchanged(inputs, settings_file, started)
        if unchanged is not None:
            return unchanged
    settings = load_settings(settings_file, content, output, siteurl, extra)
    try:
        retention, target, cache = _places(settings, settings_file)
    except OutputError as exc:
        raise BuildFailed(str(exc)) from None
    staging = cache / "staging"
    settings["OUTPUT_PATH"] = str(staging)
    settings["KILAS_CACHE_DIR"] = str(cache)
    kept = f"{target.name}/ was left as it was"
    # A build makes millions of objects that live to its end: collecting
    # garbage less often saves a tenth of the time at 10,000 items, with the
    # same peak memory (measured with `invoke bench`). Also while output/ is
    # published, with the whole site still in memory.
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 50, 1000)
    try:
        if check_only:
            cache.mkdir(parents=True, exist_ok=True)
            stats = _checked_run(settings, True, kept)
        else:
            with build_lock(cache, target):
                recover(staging, target, cache, retention)
                inputs.recall(cache)
                stats = _build_and_publish(settings, target, retention, kept)
                inputs.save(cache, settings, stats)
    except UnsafeTarget as exc:
        raise BuildFailed(str(exc)) from None
    except OutputError as exc:
        raise BuildFailed(f"{exc}; {kept}") from None
    except OSError as exc:
        raise BuildFailed(f"{describe_error(exc)}; {kept}") from None
    finally:
        gc.set_threshold(*thresholds)
    settings["OUTPUT_PATH"] = str(target)
    settings["KILAS_BUILD_SECONDS"] = time.perf_counter() - started
    settings["KILAS_STATS"] = stats
    return settings


def _places(settings: dict, settings_file) -> tuple[frozenset, Path, Path]:
    """The names output/ keeps, output/ and its build cache, each refused
    (OutputError) where a build must not write."""
    roots = {Path(settings_file).resolve().parent, PROJECT}
    retention = retained_names(settings)
    target = check_target(settings["OUTPUT_PATH"], settings, roots)
    cache = check_target(
        cache_dir(target), settings, roots, "keep the build cache in", False
    )
    return retention, target, cache


def _unchanged(inputs: fastpath.Inputs, settings_file, started: float) -> dict | None:
    """The settings a build returns when nothing changed since the last one
    (output/ is already the site), else None. Holds the build lock while it
    looks: a build under way finishes first."""
    if not inputs.ready:
        return None
    values = inputs.values
    try:
        retention, target, cache = _places(values, settings_file)
        if not cache.is_dir() or not inputs.may_be_unchanged(cache):
            return None
        with build_lock(cache, target):
            recover(cache / "staging", target, cache, retention)
            saved = inputs.unchanged(target, cache, retention)
    except (OutputError, OSError):
        return None  # the build says what is wrong
    if saved is None:
        return None
    stats = dict(saved["stats"])
    stats.update(rendered=0, rendered_pages=[], copied=0, unchanged=True)
    held = saved.get("held") or {}
    if held:  # what the last build held back is held back still
        from kilas_settings import report_held, shown_when  # noqa: PLC0415

        now = shown_when(fastpath.build_now(values), values)
        report_held({**held, "now": now}, logging.getLogger("kilas"))
    return {
        **values,
        "OUTPUT_PATH": str(target),
        "KILAS_SCHEDULE": saved["schedule"],
        "KILAS_BUILD_SECONDS": time.perf_counter() - started,
        "KILAS_STATS": stats,
    }


def guard(
    settings_file: str | Path,
    folder: str | Path,
    what: str = "write to",
    deletes: bool = True,
) -> Path:
    """``folder`` resolved, or BuildFailed when a command must not write or
    delete there (see kilas.output.check_target)."""
    settings = load_settings(settings_file)
    roots = {Path(settings_file).resolve().parent, PROJECT}
    try:
        return check_target(folder, settings, roots, what, deletes)
    except OutputError as exc:
        raise BuildFailed(str(exc)) from None


def clean(settings_file: str | Path, output: str | Path) -> list[str]:
    """Remove what builds made in ``output`` (retained files and files no
    build wrote stay) and its build cache; return the names left there."""
    settings = load_settings(settings_file, output=output)
    target = guard(settings_file, settings["OUTPUT_PATH"], "clean")
    cache = cache_dir(target)
    try:
        retention = retained_names(settings)
        with build_lock(cache, target):
            recover(cache / "staging", target, cache, retention)
            return remove_builds(target, cache, retention)
    except OutputError as exc:
        raise BuildFailed(str(exc)) from None
    except OSError as exc:
        raise BuildFailed(f"clean failed: {describe_error(exc)}") from None


def _build_and_publish(settings: dict, target: Path, retention, kept: str) -> dict:
    """Check the staging folder (while Pelican reads), build into it, and
    publish it to ``target``; return the build's stats."""
    from pelican.plugins import signals  # noqa: PLC0415

    from kilas.incremental import forget_pages  # noqa: PLC0415

    started = time.perf_counter()
    staging = Path(settings["OUTPUT_PATH"])
    cache = Path(settings["KILAS_CACHE_DIR"])
    search = settings.get("SEARCH_BUNDLE_DIR", "pagefind")
    check = StagingCheck(staging, cache, search, target, retention)

    def checked(generators) -> None:
        # Every item is read; nothing is written yet.
        dropped = check.result()
        forget_pages(settings, dropped)
        staged = None if dropped is None else check.record
        generators[0].context["KILAS_STAGED"] = staged
        _lap("check staging", started)

    signals.all_generators_finalized.connect(checked)
    try:
        stats = _checked_run(settings, False, kept)
    finally:
        signals.all_generators_finalized.disconnect(checked)
        check.close()
    # Content problems first; then whether ``target`` may be replaced.
    check_known(target, cache, retention)
    published = publish(staging, target, cache, retention, check.record, check.output)
    _lap("publish", started)
    stats["copied"] = published.copied
    if published.problem:
        logger.warning("kilas: built %s/, but %s", target.name, published.problem)
    return stats


def _lap(name: str, started: float) -> None:
    logger.info("kilas: %s done at %.2f s", name, time.perf_counter() - started)


def _checked_run(settings: dict, check_only: bool, kept: str) -> dict:
    """Run Pelican; raise BuildFailed on any warning, error or I/O error."""
    tally, stats, failure = _run_pelican(settings, check_only)
    if failure is not None and failure.errno is not None:
        raise BuildFailed(f"build failed: {describe_error(failure)}; {kept}")
    if tally.total:
        parts = ", ".join(f"{n} {level.lower()}" for level, n in tally.counts.items())
        raise BuildFailed(f"build failed ({parts}); {kept}")
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kilas.build", description=__doc__)
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument(
        "--content", help="content folder (default: the settings' PATH)"
    )
    parser.add_argument(
        "--output", help="output folder (default: the settings' OUTPUT_PATH)"
    )
    parser.add_argument(
        "--siteurl", help="override SITEURL, e.g. https://user.github.io/repo"
    )
    parser.add_argument(
        "--check", action="store_true", help="validate only; write nothing"
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    init_logging(args.verbose)
    try:
        settings = build(
            args.settings, args.content, args.output, args.siteurl, args.check
        )
    except BuildFailed as exc:
        print(f"kilas: {exc}", file=sys.stderr)
        return 1
    seconds = settings["KILAS_BUILD_SECONDS"]
    if args.check:
        print(f"kilas: content is valid ({seconds:.1f} s); nothing was written")
    else:
        where = os.path.relpath(settings["OUTPUT_PATH"])
        where = settings["OUTPUT_PATH"] if where.startswith("..") else where
        print(f"kilas: built {where}/ {describe(settings)}")
    return 0


def describe(settings: dict) -> str:
    """``in 1.2 s (7 items, 3 of 29 pages rendered, 5 files updated)``"""
    stats = settings.get("KILAS_STATS", {})
    return (
        f"in {settings['KILAS_BUILD_SECONDS']:.1f} s ({stats.get('items', 0)} items, "
        f"{stats.get('rendered', 0)} of {stats.get('pages', 0)} pages rendered, "
        f"{stats.get('copied', 0)} files updated)"
    )


if __name__ == "__main__":
    code = main()
    # Leave without freeing the site's objects one by one (a second or more
    # at 10,000 items): everything is written, closed and flushed by now.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
