"""A content-hash cache of read records, so an unchanged record costs a read, a hash and a load.

An entry holds what ``archive.read_record`` returns for one file (the validated record, or None,
and every diagnostic, lint findings included), keyed by the SHA-256 of the file's text, its kind
and path, and a fingerprint of everything else the result depends on: the taxonomy files, the
archive config (lint options, id patterns, limits, extra fields, and the run's day, on which
future-date errors and overdue notices depend), the package's version and its Python code. A
change to any of them is a miss, never a stale result.

Why pickle, and why it is safe here: entries are signed with HMAC-SHA256 under a random key
kept *outside* the repository, in the user's cache folder (``$XDG_CACHE_HOME/pmarchive``,
0600, owned by the user), and an entry is unpickled only after its signature checks out. The
cache folder itself (``.pmarchive-cache/records`` beside mkdocs.yml) is in the repository's
tree, which a pull request could fill with crafted files (the folder is ignored by git, but
nothing stops a commit from adding it); without the key it cannot sign them, so they are ignored
like any corrupt entry. A key beside the entries would travel with them. JSON would avoid
pickle but not the forgery: a crafted entry could still claim that a record with a secret in it
has no findings, so entries must be signed either way. The folder is not under ``.pmarchive/``:
that one holds what an audience may see (``pmarchive serve`` publishes its index), and the cache
holds every record, restricted ones too.

Entries are written to a temporary file and renamed into place (concurrent builds see a whole
entry or none); a corrupt, truncated, foreign or unreadable entry is a miss, and any I/O error
turns the cache off for the run instead of failing it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pmarchive
from pmarchive.core.diagnostics import Diagnostic
from pmarchive.ingest.config import ArchiveConfig
from pmarchive.model.records import AnyRecord

CACHE_FORMAT = "pmarchive-record-cache-1"
_MAGIC = b"PMRC1\n"
_SIGNATURE_BYTES = 32
_KEY_BYTES = 32
_SUFFIX = ".entry"

Entry = tuple["AnyRecord | None", list[Diagnostic]]
"""What ``read_record`` returns for one file."""


def default_key_file() -> Path:
    """Where the signing key lives: the user's cache folder, never inside a repository."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pmarchive" / "record-cache.key"


def signing_key(path: Path) -> bytes | None:
    """The key in ``path``, made (random, 0600) if there is none; None if it cannot be trusted
    (not a regular file of ours, readable by others, the wrong size) or read."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_KEY_BYTES))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                return None
            key = handle.read(_KEY_BYTES + 1)
    except OSError:
        return None
    return key if len(key) == _KEY_BYTES else None


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the package's Python sources: a code change invalidates every entry."""
    package = Path(pmarchive.__file__).parent
    digest = hashlib.sha256(pmarchive.__version__.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def files_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file under ``folder`` (the taxonomy)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError as exc:
                digest.update(f"unreadable: {exc}".encode())
    return digest.hexdigest()


def _stable(value: Any) -> Any:
    """``value`` as JSON-able data that is the same in every process (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _stable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return sorted(([str(k), _stable(v)] for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, (set, frozenset)):
        return sorted((_stable(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (dt.date, Path)):
        return str(value)
    return repr(value)


def fingerprint(config: ArchiveConfig, taxonomy_digest: str, code: str | None = None) -> str:
    """Everything besides a file's own text that ``read_record``'s result depends on."""
    settings = _stable(config)
    settings.pop("root", None)  # paths in results are relative to it; moving a clone keeps hits
    parts = {
        "format": CACHE_FORMAT,
        "python": sys.version,
        "code": code if code is not None else code_fingerprint(),
        "taxonomy": taxonomy_digest,
        "config": settings,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class CacheUse:
    """What a run did with a cache in another process (``RecordCache.absorb`` adds it up)."""

    hits: int
    misses: int
    used: frozenset[str]
    enabled: bool


class RecordCache:
    """Signed entries in one folder, one file per (fingerprint, kind, path, text)."""

    def __init__(self, directory: Path, fingerprint: str, key: bytes) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self._key = key
        self.hits = 0
        self.misses = 0
        self.enabled = True
        self._used: set[str] = set()

    @classmethod
    def open(
        cls,
        directory: Path,
        config: ArchiveConfig,
        *,
        key_file: Path | None = None,
        code: str | None = None,
    ) -> RecordCache | None:
        """The cache for ``config``'s archive in ``directory``; None if no key can be had."""
        key = signing_key(key_file or default_key_file())
        if key is None:
            return None
        print_ = fingerprint(config, files_digest(config.taxonomy_path), code)
        return cls(directory, print_, key)

    def entry_key(self, kind: str, rel: str, text: str) -> str:
        digest = hashlib.sha256(self.fingerprint.encode())
        for part in (kind, rel, text):
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, entry_key: str) -> Path:
        return self.directory / f"{entry_key}{_SUFFIX}"

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def load(self, entry_key: str) -> Entry | None:
        """The entry under ``entry_key``, or None (absent, corrupt, unsigned, foreign)."""
        self._used.add(entry_key)
        if not self.enabled:
            return None
        try:
            data = self._path(entry_key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        head = len(_MAGIC) + _SIGNATURE_BYTES
        payload = data[head:]
        signature = data[len(_MAGIC) : head]
        if not data.startswith(_MAGIC) or not hmac.compare_digest(signature, self._sign(payload)):
            self.misses += 1
            return None
        try:
            stored_key, record, diagnostics = pickle.loads(payload)  # signed by us: see above
        except Exception:  # a signed entry from an older layout of the classes
            self.misses += 1
            return None
        if stored_key != entry_key:
            self.misses += 1
            return None
        self.hits += 1
        return record, diagnostics

    def store(self, entry_key: str, entry: Entry) -> None:
        """Write an entry atomically; a failure turns the cache off for this run."""
        if not self.enabled:
            return
        payload = pickle.dumps((entry_key, *entry), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=_SUFFIX)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(_MAGIC + self._sign(payload) + payload)
                os.replace(temp, self._path(entry_key))
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            self.enabled = False

    def use(self) -> CacheUse:
        return CacheUse(self.hits, self.misses, frozenset(self._used), self.enabled)

    def absorb(self, use: CacheUse) -> None:
        """Count what another process did with a copy of this cache as done here (``prune``
        then keeps the entries it read)."""
        self.hits += use.hits
        self.misses += use.misses
        self._used |= use.used
        self.enabled = self.enabled and use.enabled

    def prune(self) -> int:
        """Remove entries this run did not ask for (edited, renamed or deleted records, an old
        fingerprint); how many went."""
        removed = 0
        try:
            names: Iterable[os.DirEntry[str]] = list(os.scandir(self.directory))
        except OSError:
            return 0
        for item in names:
            name = item.name
            if name.startswith(".tmp-") or not name.endswith(_SUFFIX):
                continue  # another build's entry, still being written
            if name[: -len(_SUFFIX)] in self._used:
                continue
            try:
                os.unlink(item.path)
                removed += 1
            except OSError:
                pass
        return removed
