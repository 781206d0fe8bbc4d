"""RFC 9162 Merkle roots and proofs against the published vectors, plus strictness (security.md A5)."""

from __future__ import annotations

import random

import pytest

from juvenile_justice.lib import merkle
from juvenile_justice.lib.audit_chain import suite_hash
from juvenile_justice.lib.crypto import Suite

# transparency-dev/merkle testonly/constants.go (RFC 6962 test data)
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (0, 1): [],
}
CONSISTENCY = {
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
HASHED = [merkle.leaf_hash(x) for x in LEAVES]


def test_roots_of_the_published_vectors() -> None:
    for size, expected in enumerate(ROOTS):
        assert merkle.root(HASHED[:size]).hex() == expected, size


def test_inclusion_proofs_of_the_published_vectors() -> None:
    for (index, size), path in INCLUSION.items():
        proof = merkle.inclusion_proof(HASHED[:size], index)
        assert [p.hex() for p in proof] == path
        merkle.verify_inclusion(HASHED[index], index, size, proof, bytes.fromhex(ROOTS[size]))


def test_consistency_proofs_of_the_published_vectors() -> None:
    for (old, new), path in CONSISTENCY.items():
        proof = merkle.consistency_proof(HASHED[:new], old)
        assert [p.hex() for p in proof] == path
        merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def test_verifiers_are_strict() -> None:
    r1, r8 = bytes.fromhex(ROOTS[1]), bytes.fromhex(ROOTS[8])
    proof = [bytes.fromhex(h) for h in CONSISTENCY[(1, 8)]]
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(0, 8, bytes.fromhex(ROOTS[0]), r8, [])  # from size 0 (merkle PR #140)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(1, 8, r1, r8, [])  # empty proof
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(1, 8, r1, r8, proof[:-1])  # too short
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(1, 8, r1, r8, [*proof, proof[0]])  # extra element
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(8, 1, r8, r1, proof)  # second size smaller
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(8, 8, r8, r8, proof)  # equal sizes take an empty proof
    merkle.verify_consistency(8, 8, r8, r8, [])
    path = [bytes.fromhex(h) for h in INCLUSION[(5, 8)]]
    for bad in (path[:-1], [*path, path[0]], [path[1], path[0], path[2]]):
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(HASHED[5], 5, 8, bad, r8)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(HASHED[5], 8, 8, path, r8)  # index outside the tree


@pytest.mark.parametrize("suite", list(Suite))
def test_random_trees_prove_and_refuse_tampering(suite: Suite) -> None:
    hash_fn = suite_hash(suite)
    rng = random.Random(9162)
    for _ in range(40):
        n = rng.randint(1, 70)
        leaves = [merkle.leaf_hash(rng.randbytes(rng.randint(0, 20)), hash_fn) for _ in range(n)]
        full = merkle.root(leaves, hash_fn)
        for index in rng.sample(range(n), min(n, 5)):
            proof = merkle.inclusion_proof(leaves, index, hash_fn)
            merkle.verify_inclusion(leaves[index], index, n, proof, full, hash_fn)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(hash_fn(b"forged"), index, n, proof, full, hash_fn)
        for old in rng.sample(range(1, n + 1), min(n, 5)):
            proof = merkle.consistency_proof(leaves, old, hash_fn)
            old_root = merkle.root(leaves[:old], hash_fn)
            merkle.verify_consistency(old, n, old_root, full, proof, hash_fn)
            if old < n:
                with pytest.raises(merkle.ProofError):
                    merkle.verify_consistency(old, n, hash_fn(b"x"), full, proof, hash_fn)
