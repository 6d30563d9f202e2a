"""Near-duplicate articles (one wire story syndicated by several outlets), found with MinHash LSH.

Each article's text becomes a MinHash signature over word 5-shingles (datasketch). The
signature is cut into LSH bands as datasketch's `MinHashLSH` does for THRESHOLD; two
articles sharing any band are candidates, and candidates whose estimated Jaccard
similarity reaches THRESHOLD are the same story. The store keeps each article's signature
and band keys (see qa/store.py), so the index persists with the collection itself and
every machine writing to a shared Chroma server sees the same stories.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard of 5-shingles: light edits of a wire story stay above it
SHINGLE_WORDS = 5
SCHEME = "affine32"  # named, so stored signatures stay comparable across datasketch releases
BAND_KEY_PREFIX = "lsh1_"  # bump the version if NUM_PERM, THRESHOLD or the shingles change
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fingerprint:
    """An article's MinHash signature and its LSH band keys."""

    signature: np.ndarray  # NUM_PERM uint32 values

    @property
    def band_keys(self) -> list[str]:
        """One key per LSH band; equal keys in the same band make two articles candidates."""
        bands, rows = lsh_params()
        return [
            hashlib.blake2b(
                self.signature[i * rows : (i + 1) * rows].tobytes(), digest_size=8
            ).hexdigest()
            for i in range(bands)
        ]

    def similarity(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets."""
        return float(np.mean(self.signature == other.signature))

    def encode(self) -> str:
        """A compact text form for the store (base64 of the little-endian uint32 values)."""
        return base64.b64encode(self.signature.astype("<u4").tobytes()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Fingerprint | None:
        """The fingerprint `encode` wrote, or None if the text is not one."""
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            return None
        if len(raw) != NUM_PERM * 4:
            return None
        return cls(np.frombuffer(raw, dtype="<u4").astype(np.uint32))


@lru_cache(maxsize=1)
def lsh_params() -> tuple[int, int]:
    """(bands, rows per band) that datasketch picks for THRESHOLD and NUM_PERM."""
    from datasketch import MinHashLSH

    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    return index.b, index.r


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations


def fingerprint(text: str) -> Fingerprint:
    """The MinHash fingerprint of a text's word 5-shingles (lower-cased, punctuation ignored)."""
    from datasketch import MinHash

    words = _WORD.findall(text.lower())
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
    }
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return Fingerprint(minhash.hashvalues.astype(np.uint32))
