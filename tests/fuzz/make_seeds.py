#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/seed-*.

Each target gets a few valid files and a few broken ones (truncated, lying headers, bad values),
small enough that libFuzzer mutates them quickly. The files are committed; run this again
(python3 tests/fuzz/make_seeds.py) after changing it. Inputs that once crashed a target are kept
beside the seeds as crash-* files and are not touched here. The checkpoint target's seeds are
real checkpoints of tiny training runs, written by make_checkpoint_seeds.cpp instead.
"""

import math
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (folder / ("seed-" + name)).write_bytes(data)


# --- word2vec text and binary --------------------------------------------------------------------

def w2v_text_seeds():
    return {
        "valid.vec": "3 2\nthe 0.1 -0.2\ncat 1e-3 2.5\nnaïve -0 +4\n",
        "crlf-tabs.vec": "2 3\r\na\t1 2 3 \r\nb 4\t5 6\r\n\r\n",
        "bom.vec": "\ufeff1 1\nx 0.5\n",
        "header-only.vec": "5 3\n",
        "empty.vec": "",
        "bad-header.vec": "two 3\na 1 2 3\n",
        "huge-header.vec": "2147483647 1000000\na 1\n",
        "short-row.vec": "2 3\na 1 2 3\nb 1 2\n",
        "nan.vec": "1 2\na nan 1\n",
        "overflow.vec": "1 2\na 1e39 1\n",
        "duplicate.vec": "2 1\na 1\na 2\n",
        "too-many.vec": "1 1\na 1\nb 2\n",
        "hex.vec": "1 2\na 0x10 1,5\n",
    }


def w2v_binary(words, dim, newline=True, values=None):
    out = bytearray(f"{len(words)} {dim}\n".encode())
    for i, word in enumerate(words):
        out += word.encode("utf-8") + b" "
        row = values[i] if values else [0.25 * (i + 1) * (j + 1) for j in range(dim)]
        out += struct.pack(f"<{dim}f", *row)
        if newline:
            out += b"\n"
    return bytes(out)


def w2v_binary_seeds():
    valid = w2v_binary(["the", "cat", "日本"], 3)
    return {
        "valid.bin": valid,
        "gensim-no-newline.bin": w2v_binary(["a", "b"], 2, newline=False),
        "truncated.bin": valid[:-7],
        "nan.bin": w2v_binary(["a"], 2, values=[[math.nan, 1.0]]),
        "inf.bin": w2v_binary(["a"], 1, values=[[math.inf]]),
        "duplicate.bin": w2v_binary(["a", "a"], 1),
        "lying-count.bin": b"1000000 4\n" + w2v_binary(["a"], 4)[4:],
        "no-space.bin": b"1 1\n" + b"x" * 100,
    }


# --- fastText .bin (fastText's own model files) --------------------------------------------------

FASTTEXT_MAGIC = 793712314


def fasttext_bin(version=12, dim=2, words=(("the", 4), ("</s>", 2), ("cat", 1)), bucket=5, minn=2, maxn=3,
                 loss=2, model=2, labels=0, cut=0, trailing=b""):
    out = bytearray()
    if version:
        out += struct.pack("<ii", FASTTEXT_MAGIC, version)
    # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
    out += struct.pack("<12id", dim, 5, 5, 1, 5, 1, loss, model, bucket, minn, maxn, 100, 1e-4)
    out += struct.pack("<iiiq", len(words) + labels, len(words), labels, 100)
    if version:
        out += struct.pack("<q", -1)  # pruneidx_size
    for word, count in words:
        out += word.encode("utf-8") + b"\0" + struct.pack("<qb", count, 0)
    rows = len(words) + bucket
    if version:
        out += b"\0"  # not quantized
    out += struct.pack("<qq", rows, dim) + struct.pack(f"<{rows * dim}f", *[0.01 * k for k in range(rows * dim)])
    if version:
        out += b"\0"
    out += struct.pack("<qq", len(words), dim) + struct.pack(f"<{len(words) * dim}f", *([0.5] * len(words) * dim))
    out += trailing
    return bytes(out[: len(out) - cut])


def fasttext_bin_seeds():
    return {
        "v12.bin": fasttext_bin(),
        "v11.bin": fasttext_bin(version=11),
        "old-no-magic.bin": fasttext_bin(version=0),
        "no-ngrams.bin": fasttext_bin(maxn=0, minn=0, bucket=0),
        "truncated.bin": fasttext_bin(cut=9),
        "trailing.bin": fasttext_bin(trailing=b"xyz"),
        "supervised.bin": fasttext_bin(model=3),
        "version-99.bin": fasttext_bin(version=99),
        "not-fasttext.bin": b"EKFTEXT1\x01\0\0\0" + b"\0" * 40,
    }


# --- embedkit's fastText model files (FastTextModel::save) ----------------------------------------

def checksum64(data):
    """detail::Checksum64: FNV-1a style over 8-byte little-endian words, then the tail bytes."""
    mask = (1 << 64) - 1
    prime = 0x100000001B3
    h = 0xCBF29CE484222325
    whole = len(data) // 8 * 8
    for i in range(0, whole, 8):
        h = ((h ^ int.from_bytes(data[i:i + 8], "little")) * prime) & mask
        h ^= h >> 32
    for byte in data[whole:]:
        h = ((h ^ byte) * prime) & mask
    return ((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9) & mask


def embedkit_model(scalar=4, dim=2, words=(("the", 4), ("cat", 2), ("ate", 1)), minn=2, maxn=3, buckets=4,
                   dense=False, stored=None, cut=0, break_checksum=False):
    if stored is None:
        stored = [] if dense or maxn == 0 else list(range(buckets))  # every bucket stored: always consistent
    out = bytearray(b"EKFTEXT1")
    out += struct.pack("<IIqqiiqBq", 1, scalar, len(words), dim, minn, maxn, buckets, 1 if dense else 0, len(stored))
    for word, count in words:
        raw = word.encode("utf-8")
        out += struct.pack("<I", len(raw)) + raw + struct.pack("<q", count)
    out += struct.pack(f"<{len(stored)}i", *stored)
    rows = len(words) + (buckets if dense else len(stored))
    out += struct.pack(f"<{rows * dim}" + ("f" if scalar == 4 else "d"), *[0.1 * (k % 7) for k in range(rows * dim)])
    out += struct.pack("<Q", checksum64(bytes(out)) ^ (1 if break_checksum else 0))
    return bytes(out[: len(out) - cut])


def embedkit_model_seeds():
    return {
        "sparse-float.ekft": embedkit_model(),
        "sparse-double.ekft": embedkit_model(scalar=8),
        "dense.ekft": embedkit_model(dense=True),
        "no-ngrams.ekft": embedkit_model(maxn=0, minn=0, buckets=0),
        "checksum.ekft": embedkit_model(break_checksum=True),
        "truncated.ekft": embedkit_model(cut=11),
        "unsorted-buckets.ekft": embedkit_model(stored=[2, 1, 0, 3]),
        "missing-bucket.ekft": embedkit_model(stored=[0]),
    }


# --- tokenizer: two option bytes (see fuzz_tokenizer.cpp), then text -------------------------------

def tokenizer_seeds():
    lenient = b"\x10\x05"  # max_token_bytes 20, max_sentence_tokens 6, invalid UTF-8 replaced
    strict = b"\x10\x85"   # the same, InvalidUtf8::error
    texts = {
        "ascii": b"the quick brown fox\njumps over\tthe lazy dog\r\n\n",
        "long-token": b"a" * 30 + b" " + "é".encode() * 15 + b"\n",
        "unicode-spaces": "one\u00a0two\u2003three\u2028four\u0085five\u3000six\u200bseven".encode(),
        "invalid": b"ok \xff bad\xc3 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 end\xc3",
        "many-tokens": b" ".join(b"w%d" % i for i in range(20)),
    }
    seeds = {}
    for name, text in texts.items():
        seeds[name] = lenient + text
        seeds[name + "-strict"] = strict + text
    return seeds


# --- vocabulary files ("word count" lines); the same bytes are also counted as a corpus -----------

def vocab_seeds():
    return {
        "valid.txt": "the 10\ncat 4\nnaïve 1\n",
        "crlf-tab.txt": "the\t10\r\ncat 4\r\n",
        "empty.txt": "",
        "empty-line.txt": "a 1\n\nb 2\n",
        "negative.txt": "a -1\n",
        "overflow.txt": "a 9223372036854775807\nb 1\n",
        "duplicate.txt": "a 1\na 2\n",
        "not-a-number.txt": "a 1x\n",
        "corpus.txt": "the cat sat on the mat the end\nthe dog\n" * 3,
    }


# --- pairs files ------------------------------------------------------------------------------------

def pairs_seeds():
    return {
        "ids.txt": "0 1\n1 2\n2 0\n",
        "tokens.txt": "apple pear\npear apple\nsaw\tdrill\r\n\n",
        "users.txt": "u1 book\nu2 pen\nu1 pen\n",
        "three-fields.txt": "a b c\n",
        "sparse-ids.txt": "0 2000000000\n",
        "big-id.txt": "0 2147483647\n",
    }


def main():
    for name, data in w2v_text_seeds().items():
        write("word2vec_text", name, data)
        write("word2vec_auto", name, data)
    for name, data in w2v_binary_seeds().items():
        write("word2vec_binary", name, data)
        write("word2vec_auto", name, data)
    for name, data in fasttext_bin_seeds().items():
        write("fasttext_bin", name, data)
    for name, data in embedkit_model_seeds().items():
        write("fasttext_model", name, data)
    for name, data in tokenizer_seeds().items():
        write("tokenizer", name, data)
    for name, data in vocab_seeds().items():
        write("vocab", name, data)
    for name, data in pairs_seeds().items():
        write("pairs", name, data)


if __name__ == "__main__":
    main()
