"""Merkle tree hashes and proofs of RFC 9162 (Certificate Transparency v2), §2.1 (issue 4, A3–A5).

The access log's entries are the leaves of one append-only tree; a signed checkpoint carries its size
and root, and an auditor checks that a later checkpoint extends an earlier one (consistency proof) or
that an entry is in the log (inclusion proof) with the hashes alone.

Hashing is domain-separated: ``leaf = H(0x00 || data)``, ``node = H(0x01 || left || right)``; the empty
tree's root is ``H("")``. ``H`` is the suite's hash (SHA-256, or SM3 for the national suite), passed
as ``hash_fn``. Verifiers are strict (security.md A5, after transparency-dev/merkle PR #140 and
immudb CVE-2022-36111): a consistency proof from size 0 is refused, as are proofs of the wrong length,
with extra elements, or for a second size smaller than the first.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Sequence

HashFn = Callable[[bytes], bytes]
"""Bytes to digest: the suite's hash (``sha256`` by default)."""


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data`` (the default suite's tree hash)."""
    return hashlib.sha256(data).digest()


class ProofError(ValueError):
    """A proof is malformed or does not verify."""


def leaf_hash(data: bytes, hash_fn: HashFn = sha256) -> bytes:
    """``H(0x00 || data)``."""
    return hash_fn(b"\x00" + data)


def node_hash(left: bytes, right: bytes, hash_fn: HashFn = sha256) -> bytes:
    """``H(0x01 || left || right)``."""
    return hash_fn(b"\x01" + left + right)


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes], hash_fn: HashFn = sha256) -> bytes:
    """MTH of the leaf hashes ``leaves`` (RFC 9162 §2.1.1), iteratively in O(n) hashes and O(log n) memory.

    The tree is built left to right: a stack of (height, hash) of complete subtrees is merged as
    leaves arrive, and the remaining subtrees are folded right to left at the end, which gives the
    same tree as the recursive definition for any size.
    """
    if not leaves:
        return hash_fn(b"")
    stack: list[tuple[int, bytes]] = []
    for leaf in leaves:
        height, value = 0, leaf
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            value = node_hash(left, value, hash_fn)
            height += 1
        stack.append((height, value))
    value = stack.pop()[1]
    while stack:
        value = node_hash(stack.pop()[1], value, hash_fn)
    return value


class CompactRange:
    """The complete subtrees ("peaks") of the first ``size`` leaves: enough to extend the tree with later
    leaves and to compute the root of every larger size without the earlier leaves (what a pruned log
    keeps of what it dropped, and what makes checkpoints incremental).

    ``peaks`` are (height, hash) from the left; their heights are the binary digits of ``size``.
    """

    __slots__ = ("hash_fn", "peaks", "size")

    def __init__(self, hash_fn: HashFn = sha256, size: int = 0, peaks: Sequence[tuple[int, bytes]] = ()) -> None:
        if sum(1 << h for h, _ in peaks) != size or any(a[0] <= b[0] for a, b in itertools.pairwise(peaks)):
            raise ProofError("the peaks do not describe a tree of this size")
        self.hash_fn = hash_fn
        self.size = size
        self.peaks: list[tuple[int, bytes]] = list(peaks)

    def append(self, leaf: bytes) -> None:
        """Add the leaf hash ``leaf`` as leaf number ``size``."""
        height, value = 0, leaf
        while self.peaks and self.peaks[-1][0] == height:
            _, left = self.peaks.pop()
            value = node_hash(left, value, self.hash_fn)
            height += 1
        self.peaks.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves so far (RFC 9162 §2.1.1): the peaks folded right to left."""
        if not self.peaks:
            return self.hash_fn(b"")
        value = self.peaks[-1][1]
        for _, left in reversed(self.peaks[:-1]):
            value = node_hash(left, value, self.hash_fn)
        return value

    def copy(self) -> CompactRange:
        """An independent copy."""
        return CompactRange(self.hash_fn, self.size, self.peaks)

    def encode(self) -> str:
        """``"size;height:hex,height:hex"`` (what the retention anchor stores)."""
        return f"{self.size};" + ",".join(f"{h}:{v.hex()}" for h, v in self.peaks)

    @classmethod
    def decode(cls, text: str, hash_fn: HashFn = sha256) -> CompactRange:
        """The inverse of :meth:`encode`.

        Raises:
            ProofError: malformed text or peaks that do not fit the size.
        """
        size_text, _, rest = text.partition(";")
        parts = [p.split(":") for p in rest.split(",") if p]
        if not size_text.isascii() or not size_text.isdigit() or len(size_text) > 19 or len(parts) > 64:
            raise ProofError("malformed compact range")
        peaks: list[tuple[int, bytes]] = []
        for part in parts:
            if len(part) != 2 or not part[0].isascii() or not part[0].isdigit() or int(part[0]) > 63:
                raise ProofError("malformed compact range")  # heights above 63 describe no real log
            try:
                value = bytes.fromhex(part[1])
            except ValueError:
                raise ProofError("malformed compact range") from None
            if len(value) != len(hash_fn(b"")):
                raise ProofError("malformed compact range")
            peaks.append((int(part[0]), value))
        return cls(hash_fn, int(size_text), peaks)


def inclusion_proof(leaves: Sequence[bytes], index: int, hash_fn: HashFn = sha256) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the leaf hashes ``leaves`` (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ProofError("the leaf index is outside the tree")

    def path(m: int, items: Sequence[bytes]) -> list[bytes]:
        if len(items) == 1:
            return []
        k = _largest_power_of_two_below(len(items))
        if m < k:
            return [*path(m, items[:k]), root(items[k:], hash_fn)]
        return [*path(m - k, items[k:]), root(items[:k], hash_fn)]

    return path(index, leaves)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes, hash_fn: HashFn = sha256
) -> None:
    """Check that leaf hash ``leaf`` is at ``index`` of the tree of ``size`` with ``expected_root`` (§2.1.3.2).

    Raises:
        ProofError: out-of-range index, a proof of the wrong length, or a root that differs.
    """
    if not 0 <= index < size:
        raise ProofError("the leaf index is outside the tree")
    fn, sn = index, size - 1
    value = leaf
    for element in proof:
        if sn == 0:
            raise ProofError("the proof has extra elements")
        if fn & 1 or fn == sn:
            value = node_hash(element, value, hash_fn)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            value = node_hash(value, element, hash_fn)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is too short")
    if not hmac.compare_digest(value, expected_root):
        raise ProofError("the inclusion proof does not lead to the root")


def consistency_proof(leaves: Sequence[bytes], old_size: int, hash_fn: HashFn = sha256) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaf hashes is a prefix of ``leaves`` (§2.1.4.1)."""
    if not 0 < old_size <= len(leaves):
        raise ProofError("a consistency proof needs 0 < old size <= new size")

    def subproof(m: int, items: Sequence[bytes], complete: bool) -> list[bytes]:
        n = len(items)
        if m == n:
            return [] if complete else [root(items, hash_fn)]
        k = _largest_power_of_two_below(n)
        if m <= k:
            return [*subproof(m, items[:k], complete), root(items[k:], hash_fn)]
        return [*subproof(m - k, items[k:], False), root(items[:k], hash_fn)]

    return subproof(old_size, leaves, True)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    hash_fn: HashFn = sha256,
) -> None:
    """Check that the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``) (§2.1.4.2).

    Raises:
        ProofError: old size 0 or larger than the new size, a proof of the wrong length (equal sizes
            take an empty proof and equal roots), or roots that do not follow from the proof.
    """
    if old_size <= 0 or old_size > new_size:
        raise ProofError("a consistency proof needs 0 < old size <= new size")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError("equal sizes with different roots")
        return
    if not proof:
        raise ProofError("the proof is empty")
    items = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root starts the path
        items.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for element in items[1:]:
        if sn == 0:
            raise ProofError("the proof has extra elements")
        if fn & 1 or fn == sn:
            fr = node_hash(element, fr, hash_fn)
            sr = node_hash(element, sr, hash_fn)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, element, hash_fn)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is too short")
    if not (hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)):
        raise ProofError("the consistency proof does not lead to both roots")
