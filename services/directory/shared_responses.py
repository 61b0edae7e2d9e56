"""Search responses shared by every API process of the machine, beside the index snapshots.

Each process remembers what it computed (search.Remembered), but with four processes each popular
search would be computed four times, and each process would hold its own copy. Here a computed
response is also written to a slot file that every process of the machine reads: `slot-<n>`, n from a
hash of the request (a direct-mapped cache: a newer request of the same slot replaces the older one),
holding the search version it was computed at, the request's key (checked on reading) and the gzipped
body. A process serves it when its version is at least the version it knows — the same rule as for its
own responses — and computes the search otherwise.

Files are written whole under a temporary name and renamed into place, so a reader sees a whole entry
or the previous one; the directory is per database (its name and oid: a recreated database never
reads another's entries) inside the snapshot directory, which belongs to the service's user alone
(search_index.private_dir). A slot that cannot be read is a miss, never an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import struct
from pathlib import Path

from services.directory.search_index import private_dir

_HEADER = struct.Struct("<qI")  # version, length of the key


class SharedResponses:
    def __init__(self, root: Path, identity: str, slots: int) -> None:
        self.root = root / ("responses-" + re.sub(r"[^A-Za-z0-9_.-]", "_", identity))
        self.slots = slots
        private_dir(self.root)

    def get(self, key: tuple, version: int) -> bytes | None:
        """The gzipped body of `key`'s response if one computed at `version` or later is kept."""
        wanted = _encode(key)
        try:
            with open(self._slot(wanted), "rb") as f:
                data = f.read()
        except OSError:
            return None
        if len(data) < _HEADER.size:
            return None
        at, length = _HEADER.unpack_from(data)
        start = _HEADER.size + length
        if at < version or data[_HEADER.size:start] != wanted:
            return None
        return data[start:]

    def put(self, key: tuple, version: int, gzipped: bytes) -> None:
        encoded = _encode(key)
        tmp = self.root / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            with open(tmp, "wb") as f:
                f.write(_HEADER.pack(version, len(encoded)) + encoded + gzipped)
            os.replace(tmp, self._slot(encoded))
        except OSError:  # a full disk or a removed directory: this process's own memory still has it
            try:
                tmp.unlink()
            except OSError:
                pass
            try:
                private_dir(self.root)
            except OSError:
                pass

    def _slot(self, encoded: bytes) -> Path:
        n = int.from_bytes(hashlib.blake2b(encoded, digest_size=8).digest(), "little") % self.slots
        return self.root / f"slot-{n}"


def _encode(key: tuple) -> bytes:
    return json.dumps(key, separators=(",", ":")).encode()
