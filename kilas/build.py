"""Atomic Kilas builds: Pelican writes into staging, ``output/`` changes only
when the whole build had no warning and no error.

``python -m kilas.build [--settings F] [--content DIR] [--output DIR]
[--siteurl URL] [--check]``. ``--check`` reads and validates every item and
writes nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pelican import Pelican
from pelican.log import LimitFilter
from pelican.plugins import signals
from pelican.settings import read_settings

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
    root.setLevel(logging.INFO if verbose else logging.WARNING)


class _StopBeforeWriting(Exception):
    """Raised after reading in check mode: nothing is to be written."""


def _stop_before_writing(generators) -> None:
    raise _StopBeforeWriting


def load_settings(
    settings_file: str | Path = "pelicanconf.py",
    content: str | Path | None = None,
    output: str | Path | None = None,
    siteurl: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Pelican settings with the command line's overrides applied."""
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
        return read_settings(str(settings_file), override=override)
    finally:
        settings_logger.removeFilter(_quiet_feed_domain)


def _quiet_feed_domain(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Feeds generated without SITEURL")


def _run_pelican(settings: dict, check_only: bool) -> _Tally:
    """Run Pelican once; return the tally of warnings and errors."""
    tally = _Tally()
    root = logging.getLogger()
    root.addHandler(tally)
    # Pelican's duplicate filter remembers messages across runs in one process.
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    if check_only:
        signals.all_generators_finalized.connect(_stop_before_writing)
    try:
        Pelican(settings).run()
    except _StopBeforeWriting:
        pass
    except Exception as exc:
        logger.critical("%s", exc, exc_info=settings.get("DEBUG", False))
    finally:
        root.removeHandler(tally)
        signals.all_generators_finalized.disconnect(_stop_before_writing)
    return tally


def _replace(staging: Path, output: Path) -> None:
    """Put the staged site in place of output/ with two renames."""
    previous = output.with_name(f".{output.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if output.exists():
        output.rename(previous)
    staging.rename(output)
    shutil.rmtree(previous, ignore_errors=True)


def build(
    settings_file: str | Path = "pelicanconf.py",
    content: str | Path | None = None,
    output: str | Path | None = None,
    siteurl: str | None = None,
    check_only: bool = False,
    extra: dict | None = None,
) -> dict:
    """Build atomically; raise BuildFailed (output untouched) on any problem."""
    settings = load_settings(settings_file, content, output, siteurl, extra)
    target = Path(settings["OUTPUT_PATH"])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent)
    )
    settings["OUTPUT_PATH"] = str(staging)
    started = time.perf_counter()
    try:
        tally = _run_pelican(settings, check_only)
        if tally.total:
            parts = ", ".join(
                f"{n} {level.lower()}" for level, n in tally.counts.items()
            )
            raise BuildFailed(
                f"build failed ({parts}); {target.name}/ was left as it was"
            )
        if not check_only:
            _replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    settings["OUTPUT_PATH"] = str(target)
    settings["KILAS_BUILD_SECONDS"] = time.perf_counter() - started
    return settings


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
        print(f"kilas: built {where}/ in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
