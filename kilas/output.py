"""Where a build may write, one build at a time, and an atomic ``output/``.

A build keeps two full copies of the site that share no file: ``output/``
(what readers get) and the staging folder of the build cache
(``.kilas-cache/<output>/staging/``), which Pelican writes into. When a
build's site differs from ``output/``, the two folders trade places in one
step (Linux ``renameat2`` with ``RENAME_EXCHANGE``): ``output/`` is at every
moment the whole old site or the whole new one. The old site, now the
staging folder, is then brought up to date by copying only the files that
differ, so the next build starts from a full copy of the site.

Which files differ is known without reading them: ``trees.json`` records
each file's size, modification time, inode and change time in both folders
when they were last known equal. A file whose record no longer matches was
written again, damaged, added or removed; only then are bytes compared.
Nothing in the cache is trusted without that check: a staged file that does
not match its record is dropped (and written again by the build).

A switch that a kill interrupts is finished or undone at the next start:
``switch.json`` says what was under way. Files named in ``OUTPUT_RETENTION``
(``.git``, ``CNAME``) stay in ``output/`` through every switch.

Where the exchange is not possible (``output/`` a mount point, the cache on
another file system, a file system without it), ``output/`` is updated file
by file instead, each file replaced in one step but not the site as a whole,
with a warning.

``KILAS_TEST_FAULT`` (tests only) makes step N of an update of ``output/``
fail: ``N`` raises an I/O error there, ``N:kill`` kills the process,
``N:ENOSPC`` (any errno name) raises that error; N may also be a step's name
(``exchange``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import io
import json
import logging
import os
import pickle
import shutil
import signal
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE = ".kilas-cache"  # beside each output folder (kilas.build.cache_dir)
RECORD_FILE = "trees.json"
SWITCH_FILE = "switch.json"
LOCK_FILE = "build.lock"
STAGING = "staging"
# Cache entries that must be plain files (anything else there is dropped;
# kilas_contract checks its render cache itself).
CACHE_FILES = (
    RECORD_FILE,
    SWITCH_FILE,
    LOCK_FILE,
    "pages.marshal",
    "static.json",
    "search-shards.json",
)
# Cache files earlier versions kept, removed when found.
RETIRED = ("pages.json",)
# Scratch folders a build makes in the cache and removes (kilas_search).
SCRATCH = ("kilas-search-*", ".*.tmp")
# Errors of renameat2 that mean "not here", not "failed": update in place.
NO_EXCHANGE = frozenset(
    {errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EBUSY, errno.EOPNOTSUPP}
)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


# Shown, yet not a warning (which fails a build): as kilas_contract's notices.
NOTICE = 25
logging.addLevelName(NOTICE, "NOTICE")


class OutputError(Exception):
    """Output could not be written or checked; the message is one line."""


class UnsafeTarget(OutputError):
    """A command was pointed at a folder it must never write or delete in."""


# --- messages ---------------------------------------------------------------


def shown(path: str | os.PathLike) -> str:
    """``path`` relative to the working folder when inside it."""
    path = os.path.abspath(path)
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _folder(path: str | os.PathLike) -> str:
    """``path`` as shown, ending with one slash."""
    text = shown(path)
    return text if text.endswith("/") else f"{text}/"


def describe(exc: OSError) -> str:
    """``path: cause`` of an I/O error, without Python's decoration."""
    cause = exc.strerror or str(exc)
    filename = exc.filename if exc.filename is not None else _open_file(exc)
    if filename is None:
        return cause
    where = shown(os.fsdecode(filename))
    if exc.filename2 is not None:
        where += f" -> {shown(os.fsdecode(exc.filename2))}"
    return f"{where}: {cause}"


def _open_file(exc: BaseException) -> str | None:
    """The file a write or a close failed on: a failed ``write()`` of a
    Python file (a full disk) names no file, but the file object is in the
    failing frame."""
    frames = []
    trace = exc.__traceback__
    while trace is not None:
        frames.append(trace.tb_frame)
        trace = trace.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            name = getattr(value, "name", None)
            if isinstance(value, io.IOBase) and isinstance(name, str | bytes):
                return name
    # A file opened from a descriptor has no name: the path it was made at.
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if isinstance(value, str | os.PathLike) and os.path.isabs(value):
                return os.fspath(value)
    return None


# --- guarded paths ----------------------------------------------------------


def check_target(
    target: str | os.PathLike,
    settings: dict,
    roots: Iterable[str | os.PathLike] = (),
    what: str = "write to",
    deletes: bool = True,
) -> Path:
    """Refuse a folder that is, contains or lies inside what no command may
    touch: the content, the theme, the plugins, a ``.git`` folder; or that is
    or contains the project (``roots``). Return it resolved (symlinks too)."""
    target = Path(target).resolve()
    for folder in roots:
        root = Path(folder).resolve()
        if target == root or target in root.parents:
            relation = "is" if target == root else f"contains {_folder(root)},"
            raise UnsafeTarget(
                f"refusing to {what} {_folder(target)}: it {relation} the project "
                "folder; choose a folder inside it, e.g. output/"
            )
    protected = [
        (settings.get("PATH"), "the content folder (PATH)"),
        (settings.get("THEME"), "the theme (THEME)"),
    ]
    protected += [
        (path, "a plugin folder (PLUGIN_PATHS)")
        for path in settings.get("PLUGIN_PATHS") or []
    ]
    for folder, name in protected:
        if not folder:
            continue
        path = Path(folder).resolve()
        if target == path:
            relation = "is"
        elif path in target.parents:
            relation = "lies inside"
        elif target in path.parents:
            relation = "contains"
        else:
            continue
        raise UnsafeTarget(
            f"refusing to {what} {_folder(target)}: it {relation} {name}, "
            f"{_folder(path)}; choose another folder, e.g. output/"
        )
    if ".git" in target.parts:
        raise UnsafeTarget(
            f"refusing to {what} {_folder(target)}: it lies inside a Git folder "
            "(.git); choose another folder, e.g. output/"
        )
    if deletes and CACHE in target.parts:
        raise UnsafeTarget(
            f"refusing to {what} {_folder(target)}: it is or lies inside a build "
            f"cache ({CACHE}); choose another folder, e.g. output/"
        )
    retention = retained_names(settings)
    if deletes and ".git" not in retention and os.path.lexists(target / ".git"):
        raise UnsafeTarget(
            f"refusing to {what} {_folder(target)}: it holds a Git repository "
            f'({shown(target / ".git")}) that a build would delete; add ".git" '
            "to OUTPUT_RETENTION to keep it, or choose another folder"
        )
    return target


def retained_names(settings: dict) -> frozenset[str]:
    """OUTPUT_RETENTION: names of files and folders directly in the output."""
    names = settings.get("OUTPUT_RETENTION") or []
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise OutputError(
            f"OUTPUT_RETENTION = {names!r} is not allowed; expected a list of "
            'names, e.g. [".git", "CNAME", ".nojekyll"]'
        )
    for name in names:
        if not name or "/" in name or name in (".", ".."):
            raise OutputError(
                f"OUTPUT_RETENTION: {name!r} is not allowed; expected the name of "
                'a file or folder directly in the output, e.g. "CNAME"'
            )
    return frozenset(names)


# What the theme writes into every page's <head> (theme/templates/base.html).
GENERATOR_TAG = b'<meta name="generator" content="Kilas">'


def check_known(target: Path, cache: Path, retention: frozenset[str]) -> None:
    """Refuse to replace a folder that is neither empty (retained files
    aside) nor a site Kilas built (a record in the cache, or a home page
    Kilas wrote): a wrong ``--output`` must not lose anyone's files."""
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise UnsafeTarget(
            f"refusing to write to {shown(target)}: it is a file, not a folder"
        )
    if (cache / RECORD_FILE).exists():
        return
    with os.scandir(target) as entries:
        foreign = sorted(e.name for e in entries if e.name not in retention)
    if not foreign:
        return
    with contextlib.suppress(OSError), open(target / "index.html", "rb") as home:
        if GENERATOR_TAG in home.read(8192):
            return
    raise UnsafeTarget(
        f"refusing to write to {_folder(target)}: it holds files that are not a "
        f"site Kilas built (e.g. {foreign[0]}); empty it or choose another folder"
    )


# --- one build at a time ----------------------------------------------------

# The pid of this process while it holds a build lock (0: none).
_HOLDER = {"pid": 0}
_PR_SET_PDEATHSIG = 1


def _die_with_build() -> None:
    """In every process forked while a build holds the lock (page writers,
    render pools): die with the build. A killed build must not leave
    children writing into the staging folder; they share its lock, so the
    next build waits until they are gone."""
    builder = _HOLDER["pid"]
    if not builder or builder == os.getpid():
        return
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != builder:  # it died before prctl
        os._exit(1)


os.register_at_fork(after_in_child=_die_with_build)


@contextlib.contextmanager
def build_lock(cache: Path, target: Path):
    """Hold ``build.lock`` (``flock``: released by the kernel on any exit);
    a second build of the same output waits for the first to end."""
    path = cache / LOCK_FILE
    while True:
        cache.mkdir(parents=True, exist_ok=True)
        if os.path.islink(path) or os.path.isdir(path):
            logger.log(NOTICE, "kilas: %s is not a file; dropped", shown(path))
            _remove(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            logger.log(
                NOTICE,
                "kilas: another build (pid %s) is writing %s/; waiting for it to end",
                holder,
                shown(target),
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        # `invoke clean` may have removed the file while this build waited.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    held = _HOLDER["pid"]
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HOLDER["pid"] = os.getpid()
        sound_cache(cache)
        yield
    finally:
        _HOLDER["pid"] = held
        os.close(fd)


def _holder(fd: int) -> str:
    """The pid in the lock file: the holder writes it just after it got the
    lock, so an empty file is read again for a moment before giving up."""
    for _ in range(100):
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if holder:
            return holder
        time.sleep(0.01)
    return "?"


def sound_cache(cache: Path) -> None:
    """Drop cache entries of the wrong kind (a folder where a file belongs),
    with a notice: the build then makes them again."""
    for name in CACHE_FILES:
        path = cache / name
        if path.is_symlink() or (os.path.lexists(path) and not path.is_file()):
            logger.log(NOTICE, "kilas: %s is not a file; dropped", shown(path))
            _remove(path)
    staging = cache / STAGING
    if os.path.lexists(staging) and (staging.is_symlink() or not staging.is_dir()):
        logger.log(NOTICE, "kilas: %s is not a folder; dropped", shown(staging))
        _remove(staging)
    for name in RETIRED:
        if os.path.lexists(cache / name):
            _remove(cache / name)
    # Scratch folders of builds that were killed (this build holds the lock).
    for pattern in SCRATCH:
        for path in cache.glob(pattern):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


# --- trees and their record -------------------------------------------------


@dataclass
class Tree:
    """What a folder holds: files (path -> stat key) and folders; anything
    else (links, sockets) in ``others``; ``.git`` folders in ``gits``."""

    files: dict[str, str] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    others: list[str] = field(default_factory=list)
    gits: list[str] = field(default_factory=list)


def stat_key(st: os.stat_result) -> str:
    """Size, modification time, inode and change time: any write to a file
    changes the change time, and no one can set it back."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"


def _size(key: str) -> int:
    return int(key.split(":", 1)[0])


def _size_time(key: str) -> str:
    return key.rsplit(":", 2)[0]


def scan(root: Path, skip: Iterable[str] = ()) -> Tree:
    """Every file, folder and other entry below ``root`` (``skip``: names
    directly in it to leave out). One ``stat`` per file, none per folder."""
    tree = Tree()
    files, folders, others = tree.files, tree.folders, tree.others
    with os.scandir(root) as entries:
        top = [entry for entry in entries if entry.name not in frozenset(skip)]
    todo = [("", top)]
    while todo:
        folder, entries = todo.pop()
        prefix = f"{folder}/" if folder else ""
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    tree.gits.append(name)
                    continue
                folders.add(name)
                with os.scandir(entry.path) as inner:
                    todo.append((name, list(inner)))
            elif entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                files[name] = (
                    f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"
                )
            else:
                others.append(name)
    return tree


def _tree(root: Path) -> tuple[dict[str, int], set[str]]:
    """Files (relative path -> inode) and folders below ``root``, without a
    ``stat`` per file (``os.scandir`` gives names, kinds and inodes)."""
    files, folders, todo = {}, set(), [""]
    while todo:
        folder = todo.pop()
        with os.scandir(os.path.join(root, folder)) as entries:
            for entry in entries:
                name = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.add(name)
                    todo.append(name)
                else:
                    files[name] = entry.inode()
    return files, folders


def _top(names: Iterable[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in names}


@dataclass
class Record:
    """What the two folders held when last known: ``staging`` is the staging
    folder's files as the last build left them; ``output`` the files of
    ``output/`` when they were published, equal to the staging files that
    then had the keys in ``paired`` (where different from ``staging``)."""

    staging: dict[str, str] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)
    paired: dict[str, str] = field(default_factory=dict)
    switch: str = ""
    folder: str = ""  # the staging folder itself (device and inode)

    def published(self, name: str) -> tuple[str | None, str | None]:
        """(staging key, output key) of ``name`` when last known equal."""
        return self.paired.get(name, self.staging.get(name)), self.output.get(name)


def load_record(cache: Path) -> Record | None:
    """The record of the last build, or None (with a notice when unreadable)."""
    path = cache / RECORD_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        logger.log(
            NOTICE,
            "kilas: %s is unreadable (%s); the site is staged again",
            shown(path),
            exc,
        )
        return None
    try:
        saved = json.loads(text)
        record = Record(switch=str(saved["switch"]), folder=str(saved["folder"]))
        for name, value in saved["files"].items():
            staging, published, paired = value.split("|")
            record.staging[name] = staging
            if published:
                record.output[name] = published
            if paired:
                record.paired[name] = paired
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.log(
            NOTICE,
            "kilas: %s is damaged (%s: %s); the site is staged again",
            shown(path),
            type(exc).__name__,
            exc,
        )
        return None
    return record


def save_record(cache: Path, record: Record, steps: Steps | None = None) -> None:
    files = {
        name: f"{key}|{record.output.get(name, '')}|{record.paired.get(name, '')}"
        for name, key in record.staging.items()
    }
    staging = os.stat(cache / STAGING)
    folder = f"{staging.st_dev}:{staging.st_ino}"
    saved = {"switch": record.switch, "folder": folder, "files": files}
    _write_json(cache / RECORD_FILE, saved, steps)


def _write_json(path: Path, data, steps: Steps | None = None) -> None:
    """Write ``path`` whole or not at all (a kill leaves the old one)."""
    if steps:
        steps("write", path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, path)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.log(NOTICE, "kilas: %s is unreadable (%s); ignored", shown(path), exc)
        return {}


# --- fault injection (tests) ------------------------------------------------


class Steps:
    """Counts the steps of an update of ``output/`` and fails the one that
    ``KILAS_TEST_FAULT`` names (see the module's docstring)."""

    def __init__(self) -> None:
        self.count = 0
        spec = os.environ.get("KILAS_TEST_FAULT", "")
        where, _, how = spec.partition(":")
        self.where, self.how = where, how or "EIO"

    def __call__(self, name: str, path: str | os.PathLike) -> None:
        self.count += 1
        if not self.where or self.where not in (str(self.count), name):
            return
        message = f"kilas: test fault at step {self.count} ({name} {shown(path)})\n"
        os.write(2, message.encode())
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        code = getattr(errno, self.how, errno.EIO)
        raise OSError(code, os.strerror(code), os.fspath(path))


# --- the exchange -----------------------------------------------------------


def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()


def exchange(first: Path, second: Path) -> None:
    """Swap two folders in one step (both must exist, on one file system)."""
    if _RENAMEAT2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(first))
    done = _RENAMEAT2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


# --- files ------------------------------------------------------------------


def _same_bytes(source: Path, target: Path) -> bool:
    """The same bytes (callers compare sizes first)."""
    with open(source, "rb") as one, open(target, "rb") as other:
        while True:
            block = one.read(1 << 20)
            if block != other.read(1 << 20):
                return False
            if not block:
                return True


def _copy(source: str, target: str, steps: Steps) -> str:
    """Copy ``source`` to the new file ``target`` with its modification
    time; return the copy's stat key."""
    steps("copy", target)
    reading = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        mtime = os.fstat(reading).st_mtime_ns
        writing = os.open(target, _NEW_FILE, 0o666)
        try:
            while block := os.read(reading, 1 << 22):
                view = memoryview(block)
                while view:
                    view = view[os.write(writing, view) :]
            os.utime(writing, ns=(mtime, mtime))
            return stat_key(os.fstat(writing))
        except OSError as exc:
            if exc.filename is None:
                exc.filename = target
            raise
        finally:
            os.close(writing)
    finally:
        os.close(reading)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _place(source: str, target: str, steps: Steps) -> str:
    """Replace ``target`` with a copy of ``source`` in one step (written
    beside it, then renamed over it); return the copy's stat key."""
    temporary = os.path.join(
        os.path.dirname(target), f".{os.path.basename(target)}.kilas-tmp"
    )
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    key = _copy(source, temporary, steps)
    steps("rename", target)
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target)
    os.replace(temporary, target)
    return key


def _delete(path: str, steps: Steps) -> None:
    steps("delete", path)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _make_folders(root: str, folders: Iterable[str], steps: Steps) -> None:
    """Make ``folders`` (parents first); what stands in their way goes."""
    for folder in sorted(folders):
        path = os.path.join(root, folder)
        steps("mkdir", path)
        try:
            os.mkdir(path)
        except FileExistsError:
            if os.path.isdir(path) and not os.path.islink(path):
                continue
            _delete(path, steps)
            os.mkdir(path)


def _mirror(source: Path, target: Path, want: Tree, have: Tree, equal, steps) -> dict:
    """Make ``target`` (holding ``have``) hold ``want`` like ``source``;
    ``equal`` names the files that are already right. Return the stat key
    of every file of ``target``."""
    for name in [*(have.files.keys() - want.files.keys()), *have.others, *have.gits]:
        _delete(os.path.join(target, name), steps)
    for folder in sorted(have.folders - want.folders, reverse=True):
        _delete(os.path.join(target, folder), steps)
    keys = {name: have.files[name] for name in equal}
    todo = [name for name in want.files if name not in equal]
    folders = want.folders - have.folders
    workers = min(os.cpu_count() or 1, 4) if len(todo) >= PARALLEL_COPY else 1
    groups = _split(todo, folders, workers)
    keys.update(_copy_groups(source, target, groups, have.files, steps))
    return keys


# Copies of at least this many files (a new site) are shared between the
# cores: making files and folders is mostly the kernel's work, per core.
PARALLEL_COPY = 5000


def _split(files, folders, workers: int) -> list[tuple[list[str], list[str]]]:
    """Share files and folders between ``workers`` about evenly, a
    top-level folder and all it holds going to one of them."""
    tops: dict[str, tuple[list[str], list[str]]] = {}
    for name in files:
        tops.setdefault(name.split("/", 1)[0], ([], []))[0].append(name)
    for folder in folders:
        tops.setdefault(folder.split("/", 1)[0], ([], []))[1].append(folder)
    groups: list[tuple[list[str], list[str]]] = [([], []) for _ in range(workers)]
    loads = [0] * workers
    for names, made in sorted(tops.values(), key=lambda t: -len(t[0]) - len(t[1])):
        least = loads.index(min(loads))
        groups[least][0].extend(names)
        groups[least][1].extend(made)
        loads[least] += len(names) + len(made)
    return groups


def _in_child(work) -> tuple[int, int]:
    """Run ``work()`` in a forked process; return its pid and the pipe its
    result comes through (``_child_result``): ("ok", value), or ("oserror",
    the error's number, text and path)."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(reading)
            try:
                result = ("ok", work())
            except OSError as exc:
                result = ("oserror", (exc.errno, exc.strerror, exc.filename))
            with os.fdopen(writing, "wb") as pipe:
                pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    return pid, reading


def _child_result(pid: int, reading: int) -> tuple[str, object]:
    """Wait for an ``_in_child`` process; ("", None) when it said nothing."""
    with os.fdopen(reading, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    return pickle.loads(said) if said else ("", None)


def _copy_part(source, target, files, folders, have, steps) -> dict:
    _make_folders(target, folders, steps)
    keys = {}
    for name in files:
        path = os.path.join(target, name)
        if name in have:
            _delete(path, steps)
        keys[name] = _copy(os.path.join(source, name), path, steps)
    return keys


def _copy_groups(source, target, groups, have, steps) -> dict:
    """Copy each group in a process of its own (the first one here);
    return the stat keys of the copies."""
    children = [
        _in_child(
            lambda files=files, folders=folders: _copy_part(
                source, target, files, folders, have, steps
            )
        )
        for files, folders in groups[1:]
    ]
    keys, failure = {}, None
    try:
        files, folders = groups[0]
        keys.update(_copy_part(source, target, files, folders, have, steps))
    except OSError as exc:
        failure = exc
    for pid, reading in children:
        kind, value = _child_result(pid, reading)
        if kind == "ok":
            keys.update(value)
        elif failure is None:
            value = value or (errno.EIO, "a copying process stopped", str(target))
            failure = OSError(*value)
    if failure is not None:
        raise failure
    return keys


def _equal_files(staging: Path, output: Path, new: Tree, old: Tree, record):
    """Files of ``output`` equal to the staged ones: known from the record
    when neither changed since, else compared (sizes, then bytes)."""
    equal, changed = set(), 0
    for name, key in new.files.items():
        present = old.files.get(name)
        if present is not None and (
            record.published(name) == (key, present)
            or (
                _size(key) == _size(present)
                and _same_bytes(staging / name, output / name)
            )
        ):
            equal.add(name)
        else:
            changed += 1
    return equal, changed


# --- before a build: the staging folder -------------------------------------


class StagingCheck:
    """The check of the staging folder before a build writes into it.

    What the folder holds that its record does not vouch for (changed,
    added, of the wrong kind) is dropped, with a notice, to be written
    again; without a record the whole folder is dropped. A search shard (a
    folder in ``search_dir``) missing a file, or with a changed one, is
    dropped whole, to be indexed again.

    The check runs in a forked process while Pelican reads (one core is
    enough for that), which also takes the inventory of ``output/`` for
    ``publish`` (a change made there during the build is seen by the next
    one: the record keeps the keys as they were seen). ``result()`` waits
    for it.
    """

    def __init__(
        self,
        staging: Path,
        cache: Path,
        search_dir: str = "",
        output: Path | None = None,
        retention=frozenset(),
    ) -> None:
        self.record = load_record(cache)
        self.dropped: set[str] | None = set()
        self.output: Tree | None = None
        self._pid = 0
        fresh = not staging.is_dir()
        if fresh:
            staging.mkdir(parents=True, exist_ok=True)
            self.dropped = set(self.record.staging) if self.record else None

        def check() -> tuple:
            dropped = self.dropped
            if not fresh:
                dropped = _check_staging(staging, self.record, search_dir)
            present = output is not None and os.path.lexists(output)
            return dropped, scan(output, retention) if present else None

        self._pid, self._reading = _in_child(check)

    def result(self) -> set[str] | None:
        """The staged paths dropped or missing (None: all of them)."""
        if self._pid:
            kind, value = _child_result(self._pid, self._reading)
            self._pid = 0
            if kind == "oserror":
                raise OSError(*value)
            if kind != "ok":
                raise OutputError("the check of the staging folder stopped")
            self.dropped, self.output = value
        return self.dropped

    def close(self) -> None:
        """Wait for the check (a build that failed before asking)."""
        with contextlib.suppress(OSError, OutputError):
            self.result()


def folders_of(names) -> set[str]:
    """Every folder the files ``names`` (relative, with "/") lie in."""
    folders: set[str] = set()
    for name in names:
        folder = os.path.dirname(name)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    return folders


def _check_staging(staging: Path, record: Record | None, search_dir: str):
    if record is None:
        with os.scandir(staging) as entries:
            stale = any(True for _ in entries)
        if stale:
            logger.log(
                NOTICE,
                "kilas: %s/ has no record of its files; it is staged again",
                shown(staging),
            )
            shutil.rmtree(staging)
            staging.mkdir()
        return None
    tree = scan(staging)
    here = os.stat(staging)
    if record.folder == f"{here.st_dev}:{here.st_ino}":
        dropped = {n for n, k in tree.files.items() if record.staging.get(n) != k}
    else:
        # The folder was restored (a CI cache) or copied: its files are new
        # inodes; their sizes and modification times are what is left.
        known = {n: _size_time(k) for n, k in record.staging.items()}
        dropped = {n for n, k in tree.files.items() if known.get(n) != _size_time(k)}
    dropped.update(tree.others)
    dropped.update(tree.gits)
    missing = record.staging.keys() - tree.files.keys()
    for name in dropped:
        _remove(staging / name)
    for folder in sorted(tree.folders & record.staging.keys()):
        # a folder where a file belongs
        shutil.rmtree(staging / folder, ignore_errors=True)
        dropped.add(folder)
    # Folders no recorded file lies in (a failed build's new page, dropped
    # above) go too: else they are published empty, and output/ never again
    # matches the record (every later build misses its no-change shortcut).
    needed = folders_of(record.staging)
    for folder in sorted(tree.folders - needed - record.staging.keys(), reverse=True):
        with contextlib.suppress(OSError):  # not empty: left for the build
            os.rmdir(staging / folder)
    search = search_dir.strip("/")
    shards = {
        name.split("/", 2)[1]
        for name in dropped | missing
        if search and name.startswith(f"{search}/") and name.count("/") >= 2
    }
    for shard in shards:
        shutil.rmtree(staging / search / shard, ignore_errors=True)
    if dropped or missing:
        example = sorted(dropped | missing)[0]
        # Not a notice: a failed build leaves such files as a matter of course.
        logger.info(
            "kilas: %d staged file(s) changed or missing since the last build "
            "(e.g. %s): written again",
            len(dropped | missing),
            example,
        )
    return dropped | missing


# --- after a build: publish -------------------------------------------------


@dataclass
class Published:
    """What ``publish`` did: files of ``output/`` updated, whether the
    folders were switched, and a problem that did not stop it."""

    copied: int = 0
    switched: bool = False
    in_place: bool = False
    problem: str = ""
    record: Record | None = None  # as saved in the cache at the end


def publish(
    staging: Path,
    output: Path,
    cache: Path,
    retention=frozenset(),
    record: Record | None = None,
    old: Tree | None = None,
    new: Tree | None = None,
) -> Published:
    """Make ``output/`` the site in ``staging`` (see the module docstring);
    ``record`` and ``old`` (what ``output/`` holds, retained names left
    out): what ``StagingCheck`` found, if it ran; ``new``: what ``staging``
    holds, when known (``kilas.live`` knows which files it wrote).

    Raise OutputError, ``output/`` unchanged, when it cannot be done (an
    I/O error, a Git repository inside ``output/``).
    """
    steps = Steps()
    record = record or load_record(cache) or Record()
    new = new or scan(staging)
    for name in new.others + new.gits:  # Pelican makes neither
        _delete(os.path.join(staging, name), steps)
    exists = os.path.lexists(output)
    # A retained name the site makes itself is the site's (as in Pelican).
    made = frozenset(retention) & _top([*new.files, *new.folders])
    retention = frozenset(retention) - made
    if not exists:
        old = Tree()
    elif old is None:
        old = scan(output, skip=retention)
    elif made:
        _add_top(old, output, made)
    if old.gits:
        raise OutputError(
            f"{shown(output / old.gits[0])} is a Git repository inside "
            f"{shown(output)}/, which a build would delete; move it away, or keep "
            "it at the top of the output with OUTPUT_RETENTION"
        )
    equal, changed = _equal_files(staging, output, new, old, record)
    staged = _staged(record, new, old, equal)
    differs = (
        changed
        or not exists
        or old.files.keys() - new.files.keys()
        or old.others
        or old.folders != new.folders
    )
    if not differs:
        if staged != record:
            save_record(cache, staged, steps)
        return Published(copied=0, record=staged)
    save_record(cache, staged, steps)
    if not exists:
        return _publish_new(staging, output, cache, new, steps, staged, changed)
    in_place = _no_exchange(staging, output)
    if not in_place:
        try:
            return _switch(staging, output, cache, new, old, equal, retention, steps)
        except OSError as exc:
            if exc.errno not in NO_EXCHANGE:
                raise OutputError(
                    f"could not switch {shown(output)}/ to the new site: "
                    f"{exc.strerror or exc}"
                ) from None
            in_place = os.strerror(exc.errno)
    return _publish_in_place(staging, output, cache, new, old, equal, steps, in_place)


def _staged(record: Record, new: Tree, old: Tree, equal: set[str]) -> Record:
    """The record of the staging folder as this build left it, with what is
    known equal in ``output/``."""
    staged = Record(staging=dict(new.files), switch=record.switch)
    for name in new.files:
        if name in equal:
            staged.output[name] = old.files[name]
        else:
            before, published = record.published(name)
            if published is not None and before is not None:
                staged.output[name] = published
                staged.paired[name] = before
    return staged


def _switch(staging, output, cache, new, old, equal, retention, steps) -> Published:
    """Exchange ``output/`` and the staging folder, retained entries kept in
    ``output/``; then make the old site (now staging) a copy of the new.
    Raise OSError, everything put back, when the exchange fails."""
    switch = uuid.uuid4().hex
    moved = [
        name
        for name in sorted(retention)
        if os.path.lexists(output / name) and not os.path.lexists(staging / name)
    ]
    journal = {"id": switch, "staging_inode": os.stat(staging).st_ino, "moved": moved}
    _write_json(cache / SWITCH_FILE, journal, steps)
    try:
        for name in moved:
            steps("retain", output / name)
            os.rename(output / name, staging / name)
        steps("exchange", output)
        exchange(staging, output)
    except OSError:
        _put_back(staging, output, moved)
        (cache / SWITCH_FILE).unlink(missing_ok=True)
        raise
    # output/ is the new site. The old one, in the staging folder, is made
    # a copy of it for the next build.
    changed = len(new.files.keys() - equal)
    result = Published(copied=changed, switched=True)
    try:
        keys = _mirror(output, staging, new, old, equal, steps)
        done = Record(staging=keys, output=dict(new.files), switch=switch)
        save_record(cache, done, steps)
        steps("finish", cache / SWITCH_FILE)
        (cache / SWITCH_FILE).unlink()
        result.record = done
    except OSError as exc:
        result.problem = (
            f"the build cache could not be brought up to date ({describe(exc)}); "
            "the next build finishes it"
        )
    return result


def _add_top(tree: Tree, root: Path, names: Iterable[str]) -> None:
    """Add to ``tree`` the entries ``names`` of ``root`` that it left out."""
    for name in names:
        path = root / name
        if path.is_symlink():
            tree.others.append(name)
        elif path.is_file():
            tree.files[name] = stat_key(path.stat())
        elif path.is_dir():
            inner = scan(path)
            tree.folders.add(name)
            tree.folders.update(f"{name}/{f}" for f in inner.folders)
            tree.files.update((f"{name}/{f}", k) for f, k in inner.files.items())
            tree.others.extend(f"{name}/{o}" for o in inner.others)
            tree.gits.extend(f"{name}/{g}" for g in inner.gits)
        elif os.path.lexists(path):
            tree.others.append(name)


def _no_exchange(staging: Path, output: Path) -> str:
    """Why ``output/`` cannot be exchanged with the staging folder, or ''."""
    if os.path.ismount(output):
        return f"{shown(output)}/ is a mount point"
    if os.stat(staging).st_dev != os.stat(output).st_dev:
        return f"{shown(output)}/ and the build cache are on different file systems"
    if _RENAMEAT2 is None:
        return "the system has no renameat2"
    return ""


def _put_back(staging: Path, output: Path, moved: list[str]) -> None:
    """Move retained entries back into ``output/`` after a failed switch."""
    for name in moved:
        if os.path.lexists(staging / name) and not os.path.lexists(output / name):
            os.rename(staging / name, output / name)


def _publish_new(staging, output, cache, new, steps, staged, changed) -> Published:
    """No ``output/`` yet: the staging folder becomes it in one rename, and
    a copy of it becomes the staging folder."""
    switch = uuid.uuid4().hex
    journal = {"id": switch, "staging_inode": os.stat(staging).st_ino, "moved": []}
    _write_json(cache / SWITCH_FILE, journal, steps)
    try:
        steps("rename", output)
        os.rename(staging, output)
    except OSError:
        (cache / SWITCH_FILE).unlink(missing_ok=True)
        raise
    result = Published(copied=changed, switched=True)
    try:
        steps("mkdir", staging)
        staging.mkdir()
        keys = _mirror(output, staging, new, Tree(), set(), steps)
        done = Record(staging=keys, output=dict(new.files), switch=switch)
        save_record(cache, done, steps)
        result.record = done
        steps("finish", cache / SWITCH_FILE)
        (cache / SWITCH_FILE).unlink()
    except OSError as exc:
        result.problem = (
            f"the build cache could not be brought up to date ({describe(exc)}); "
            "the next build finishes it"
        )
    return result


def _publish_in_place(staging, output, cache, new, old, equal, steps, reason):
    """Update ``output/`` file by file (each file in one step; not the site)."""
    logger.warning(
        "kilas: %s/ cannot be switched in one step (%s): updating it file by "
        "file; a build stopped halfway leaves old and new pages mixed",
        shown(output),
        reason,
    )
    keys = {}
    for name in [*(old.files.keys() - new.files.keys()), *old.others]:
        _delete(os.path.join(output, name), steps)
    for folder in sorted(old.folders - new.folders, reverse=True):
        _delete(os.path.join(output, folder), steps)
    _make_folders(output, new.folders - old.folders, steps)
    for name in new.files:
        if name in equal:
            keys[name] = old.files[name]
        else:
            keys[name] = _place(
                os.path.join(staging, name), os.path.join(output, name), steps
            )
    done = Record(staging=dict(new.files), output=keys)
    save_record(cache, done, steps)
    return Published(len(new.files.keys() - equal), in_place=True, record=done)


# --- at the start: finish a switch a kill interrupted -----------------------


def recover(staging: Path, output: Path, cache: Path, retention=frozenset()) -> None:
    """Finish or undo a switch that was under way when a build was killed.

    Before the exchange: retained entries go back into ``output/``, which
    still holds the old site. After it: ``output/`` holds the new site, and
    the staging folder is made a copy of it (every file compared).
    """
    journal = _read_json(cache / SWITCH_FILE)
    if journal is None:
        return
    steps = Steps()
    record = load_record(cache)
    done = (
        record is not None
        and isinstance(journal, dict)
        and (journal.get("id") == record.switch)
    )
    if done:
        (cache / SWITCH_FILE).unlink()
        return
    try:
        inode = int(journal["staging_inode"])
        moved = [str(name) for name in journal["moved"]]
    except (KeyError, TypeError, ValueError):
        inode, moved = None, sorted(retention)
    switched = (
        inode is not None and os.path.isdir(output) and os.stat(output).st_ino == inode
    )
    if not switched:
        if os.path.isdir(staging) and os.path.isdir(output):
            _put_back(staging, output, moved)
        if inode is None:  # what the staging folder holds is unknown
            (cache / RECORD_FILE).unlink(missing_ok=True)
        (cache / SWITCH_FILE).unlink()
        logger.log(
            NOTICE, "kilas: an interrupted switch of %s/ was undone", shown(output)
        )
        return
    logger.log(NOTICE, "kilas: finishing an interrupted switch of %s/", shown(output))
    site = _top(record.staging) if record else set()
    new = scan(output, skip=frozenset(retention) - site)
    if not os.path.isdir(staging):
        if os.path.lexists(staging):
            _delete(str(staging), steps)
        staging.mkdir()
    have = scan(staging)
    equal = {
        name
        for name, key in new.files.items()
        if name in have.files
        and _size(key) == _size(have.files[name])
        and _same_bytes(output / name, staging / name)
    }
    keys = _mirror(output, staging, new, have, equal, steps)
    save_record(
        cache, Record(staging=keys, output=dict(new.files), switch=journal["id"])
    )
    (cache / SWITCH_FILE).unlink()


# --- invoke clean -------------------------------------------------------------


def remove_builds(output: Path, cache: Path, retention=frozenset()) -> list[str]:
    """Remove what builds made: the files of ``output/`` a build published
    (retained and other files stay) and the build cache. Return the names
    of files left in ``output/``."""
    record = load_record(cache)
    made: set[str] = set()
    if record is not None:
        made = set(record.output) | set(record.staging)
    elif (cache / STAGING).is_dir():  # a cache without a record: its staged files
        made = set(_tree(cache / STAGING)[0])
    kept = []
    if os.path.isdir(output):
        tree = scan(output, skip=retention)
        for name in tree.files:
            if name in made:
                os.unlink(output / name)
            else:
                kept.append(name)
        kept += tree.others + tree.gits
        for folder in sorted(tree.folders, reverse=True):
            with contextlib.suppress(OSError):  # holds a kept file
                os.rmdir(output / folder)
        with contextlib.suppress(OSError):
            os.rmdir(output)
    if os.path.isdir(cache):
        shutil.rmtree(cache)
    return sorted(kept)
