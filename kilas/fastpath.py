"""A build that would change nothing does nothing, without starting Pelican.

Before Pelican is imported, a build compares what it would read with what
the last successful build read:

- the settings: their values once the settings file has run, with the
  command's overrides (``--content``, ``--output``, ``--siteurl``), and the
  Python files beside the settings file;
- every file of the content folder, the theme, the plugin folders and Kilas
  itself, by size, modification time, inode and change time, and by a digest
  of their bytes when those differ (a file saved again unchanged is no
  change);
- the installed packages, Python's version and the environment variables
  named ``KILAS_*`` (``KILAS_NOW`` aside: see time);
- the build cache (its files, and the staging folder file by file) and
  ``output/`` file by file, against the record the last publish left
  (``kilas.output``: any write to a file changes its change time, which no
  one can set back), so that a damaged, deleted or added file in either
  makes a real build, which puts it right;
- time: the build's "now" (``KILAS_NOW``, else the clock) must lie between
  the last build's "now" and the first moment at which the site changes by
  itself (a scheduled item falling due, an item entering or leaving the news
  sitemap's window), which the last build worked out (the
  ``kilas_valid_until`` signal).

When nothing differs, ``output/`` is already the site and the build stops
(holding the build lock while it looks). Otherwise it builds, and writes the
record of what it read (``inputs.pickle`` in the build cache) once
``output/`` holds the new site. A build that stops before (killed, failed)
leaves the old record, which no longer matches: such a build has changed
the cache (a build that writes anything rewrites its page keys) or nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sys
import sysconfig
from datetime import datetime
from pathlib import Path

from kilas.output import (
    LOCK_FILE,
    STAGING,
    SWITCH_FILE,
    Record,
    folders_of,
    load_record,
    scan,
    stat_key,
)

FILE = "inputs.pickle"
_KILAS = Path(__file__).resolve().parent
_SKIPPED = frozenset({"__pycache__", ".kilas-cache", ".git"})
# The shape of inputs.pickle (another one is not read).
_VERSION = 1
# What a no-change build gives its caller of the last build's figures.
_KEPT_STATS = ("items", "pages", "sources")


def _digest(path: str) -> bytes:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "blake2b").digest()[:16]


# The key of an entry that cannot be read: no file has it.
_UNREADABLE = (-1, -1, -1, -1)


def _key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _scan(root: str) -> dict[str, tuple[int, int, int, int]]:
    """Every file below ``root`` (links followed, each folder once):
    relative path -> key. An entry that cannot be read (a link in a loop, a
    folder it may not open) gets a key no file has, so the build runs and
    reports it."""
    found: dict[str, tuple[int, int, int, int]] = {}
    seen: set[tuple[int, int]] = set()
    todo = [""]
    while todo:
        folder = todo.pop()
        try:
            entries = os.scandir(os.path.join(root, folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            found[folder] = _UNREADABLE
            continue
        with entries:
            for entry in entries:
                name = f"{folder}/{entry.name}" if folder else entry.name
                try:
                    st = entry.stat()
                    if entry.is_dir():
                        if entry.name not in _SKIPPED:
                            if (st.st_dev, st.st_ino) in seen:
                                found[name] = _UNREADABLE
                            else:
                                seen.add((st.st_dev, st.st_ino))
                                todo.append(name)
                        continue
                    found[name] = _key(st)
                except FileNotFoundError:
                    continue
                except OSError:
                    found[name] = _UNREADABLE
    return found


def _run_settings(path: str) -> dict:
    """The settings file's UPPER_CASE names, as Pelican reads them."""
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as Pelican does: publishconf imports it
    spec.loader.exec_module(module)
    return {key: value for key, value in vars(module).items() if key.isupper()}


def _stable(value, depth: int = 0) -> str:
    """A text for a settings value that is the same in every process."""
    if depth > 8:
        return "..."
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: repr(item[0]))
        return "{" + ",".join(f"{k!r}:{_stable(v, depth + 1)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_stable(v, depth + 1) for v in value) + "]"
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(_stable(v, depth + 1) for v in value)) + "}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"<{getattr(value, '__module__', '')}.{value.__qualname__}>"
    return repr(value)


def installed_packages() -> list[str]:
    """The installed distributions (their dist-info folders name versions)."""
    found = []
    for key in ("purelib", "platlib"):
        folder = sysconfig.get_paths().get(key)
        if folder and os.path.isdir(folder):
            found += [n for n in os.listdir(folder) if n.endswith(".dist-info")]
    return sorted(set(found))


def build_now(values: dict) -> datetime:
    """The build's "now" as kilas_contract takes it (kilas_settings.build_now;
    the plugin itself imports Pelican). Raises SettingError on a value the
    contract refuses too; the real build then reports it."""
    from kilas_settings import build_now as settings_now  # noqa: PLC0415

    return settings_now(values)


class Inputs:
    """What a build reads, and whether it is what the last one read.

    ``ready`` is False when the settings cannot be read here (Pelican then
    says what is wrong) or name a folder this check does not know."""

    def __init__(self, settings_file, content, output, siteurl, extra) -> None:
        self.ready = False
        path = os.path.abspath(settings_file)
        try:
            values = _run_settings(path)
        except Exception:  # noqa: BLE001 (Pelican reports it properly)
            return
        values.update(extra or {})
        base = os.path.dirname(path)
        self.base = base
        if content is not None:
            values["PATH"] = str(Path(content).resolve())
        if output is not None:
            values["OUTPUT_PATH"] = str(Path(output).resolve())
        if siteurl is not None:
            values["SITEURL"] = values["FEED_DOMAIN"] = siteurl.rstrip("/")
        for key in ("PATH", "OUTPUT_PATH", "THEME"):
            value = values.get(key)
            if not isinstance(value, str) or not value:
                return  # a default of Pelican's: leave it to Pelican
            values[key] = os.path.abspath(os.path.join(base, value))
        plugins = values.get("PLUGIN_PATHS") or []
        if not os.path.isdir(values["THEME"]) or not isinstance(plugins, list | tuple):
            return
        values["PLUGIN_PATHS"] = [
            os.path.abspath(os.path.join(base, p)) for p in plugins
        ]
        self.values = values
        self.roots = {
            "content": values["PATH"],
            "theme": values["THEME"],
            "kilas": str(_KILAS),
            **{
                f"plugins:{n}": folder
                for n, folder in enumerate(values["PLUGIN_PATHS"])
            },
        }
        with os.scandir(base) as entries:
            settings_dir = sorted(
                (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                for entry in entries
                if entry.name.endswith(".py") and entry.is_file()
            )
        environment = sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.startswith("KILAS_") and k != "KILAS_NOW"
        )
        self.key = hashlib.blake2b(
            "\0".join(
                [
                    sys.version,
                    _stable(sorted(values.items())),
                    _stable(environment),
                    _stable(installed_packages()),
                    _stable(settings_dir),
                ]
            ).encode(),
            digest_size=16,
        ).hexdigest()
        try:
            self.now = build_now(values).timestamp()
        except (ValueError, TypeError, LookupError, AttributeError):
            return  # a bad KILAS_NOW or TIMEZONE: Pelican says what is wrong
        self.trees = {name: _scan(root) for name, root in self.roots.items()}
        self.saved: dict | None = None
        self.ready = True

    # -- the last build's record -------------------------------------------------

    @staticmethod
    def file(cache: Path) -> Path:
        return cache / FILE

    def previous(self, cache: Path) -> dict | None:
        """What the last successful build read, if it is readable."""
        try:
            with self.file(cache).open("rb") as handle:
                saved = pickle.load(handle)
        except Exception:  # noqa: BLE001 (any damage: build, and write it again)
            return None
        if not isinstance(saved, dict) or saved.get("version") != _VERSION:
            return None
        return saved

    def recall(self, cache: Path) -> None:
        """A real build starts: what the last one read, for the digests of
        files read again. (Its record then no longer matches the cache: a
        build rewrites the page keys, ``pages.marshal``, whenever it writes.)"""
        if self.ready and self.saved is None:
            self.saved = self.previous(cache)

    # -- a build that changes nothing ---------------------------------------------

    def may_be_unchanged(self, cache: Path) -> bool:
        """What can be told without the build lock: the last build's record
        is there, for these settings, and time has not changed the site.
        (A real build then takes the lock once, not twice.)"""
        saved = self.previous(cache) if self.ready else None
        return saved is not None and self._same_key_and_time(saved)

    def _same_key_and_time(self, saved: dict) -> bool:
        if saved["key"] != self.key or saved["trees"].keys() != self.trees.keys():
            return False
        # Time alone changes the site from "until" on (or went back).
        return saved["now"] <= self.now and (
            saved["until"] is None or self.now < saved["until"]
        )

    def unchanged(self, target: Path, cache: Path, retention) -> dict | None:
        """The last build's figures when nothing changed, else None. Called
        holding the build lock, after an interrupted switch was finished."""
        if not self.ready:
            return None
        self.saved = saved = self.previous(cache)
        if saved is None or not self._same_key_and_time(saved):
            return None
        touched = self._same_files(saved)
        if touched is None:
            return None
        record = _same_cache(cache, saved["cache"])
        if record is None or not _same_output(target, record, retention):
            return None
        if touched:
            self._write(cache, saved)
        return saved

    def _same_files(self, saved: dict) -> bool | None:
        """None when a file differs; True when only keys changed (a file
        saved again with the same bytes: the record is brought up to date)."""
        touched = False
        for name, files in self.trees.items():
            known = saved["trees"][name]
            if files.keys() != known.keys():
                return None
            for relative, key in files.items():
                before, digest = known[relative]
                if key == before:
                    continue
                path = os.path.join(self.roots[name], relative)
                if digest is None or key[0] != before[0]:
                    return None
                try:
                    if _digest(path) != digest:
                        return None
                except OSError:
                    return None
                known[relative] = (key, digest)
                touched = True
        return touched

    # -- after a successful build ------------------------------------------------------

    def save(self, cache: Path, settings: dict, stats: dict) -> None:
        """Keep what this build read, once output/ holds what it built.

        A file whose key changed since the last record is digested now; if
        its key is no longer what this build saw when it started (saved
        during the build), no digest is kept: the next build then builds."""
        if not self.ready:
            return
        known = (self.saved or {}).get("trees", {})
        trees = {}
        for name, files in self.trees.items():
            old = known.get(name, {})
            entries = {}
            for relative, key in files.items():
                before = old.get(relative)
                if before is not None and before[0] == key:
                    entries[relative] = before
                    continue
                path = os.path.join(self.roots[name], relative)
                try:
                    digest = _digest(path)
                    if _key(os.stat(path)) != key:
                        digest = None
                except OSError:
                    digest = None
                entries[relative] = (key, digest)
            trees[name] = entries
        saved = {
            "version": _VERSION,
            "key": self.key,
            "trees": trees,
            "now": self.now,
            "until": stats.get("valid_until"),
            "stats": {k: stats[k] for k in _KEPT_STATS if k in stats},
            "schedule": settings.get("KILAS_SCHEDULE") or [],
            "held": settings.get("KILAS_HELD") or {},
        }
        # output/ holds the new site already: a record that cannot be kept
        # costs the next build its shortcut, nothing else.
        with contextlib.suppress(OSError):
            saved["cache"] = _cache_files(cache)
            self._write(cache, saved)

    def _write(self, cache: Path, saved: dict) -> None:
        temporary = cache / f".{FILE}.tmp"
        with temporary.open("wb") as handle:
            pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.file(cache))


def _cache_files(cache: Path) -> dict[str, str]:
    """The build cache's own files (the lock and this record aside)."""
    found = {}
    with os.scandir(cache) as entries:
        for entry in entries:
            if entry.name in (LOCK_FILE, FILE) or entry.name.startswith("."):
                continue
            if entry.is_file(follow_symlinks=False):
                found[entry.name] = stat_key(entry.stat(follow_symlinks=False))
    return found


def _same_cache(cache: Path, known: dict[str, str]) -> Record | None:
    """The record of the staging folder and ``output/`` when the cache's
    files are as the last build left them and the staging folder is as the
    record says, file by file; else None."""
    if os.path.lexists(cache / SWITCH_FILE) or _cache_files(cache) != known:
        return None
    record = load_record(cache)
    staging = cache / STAGING
    if record is None or record.paired or staging.is_symlink() or not staging.is_dir():
        return None
    here = os.stat(staging)
    if record.folder != f"{here.st_dev}:{here.st_ino}":
        return None
    tree = scan(staging)
    if tree.others or tree.gits or tree.files != record.staging:
        return None
    return record


def _same_output(target: Path, record: Record, retention) -> bool:
    """``output/`` holds what the last publish left there and nothing else
    (retained names aside): the same files with the same keys, the same
    folders."""
    if record.output.keys() != record.staging.keys():
        return False
    if target.is_symlink() or not target.is_dir():
        return False
    made = {name.split("/", 1)[0] for name in record.output}
    tree = scan(target, skip=frozenset(retention) - made)
    if tree.others or tree.gits or tree.files != record.output:
        return False
    return tree.folders == folders_of(record.output)


__all__ = ["Inputs", "build_now"]
