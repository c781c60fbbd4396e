"""The corpora the benchmark scripts train on, found or made once in a work directory."""

import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))


def _write_atomically(path, write):
    with open(path + ".part", "wb") as out:
        write(out)
    os.rename(path + ".part", path)


def corpus_file(name, workdir):
    """The path of corpus `name`: a file path as it is; a file of ../shared/data; one packed there
    as NAME.xz, unpacked into workdir once; or SOURCE:SIZE (e.g. gutenberg:5M, text8-prefix:1M),
    the first SIZE tokens of SOURCE (gutenberg = gutenberg100m) on one line."""
    os.makedirs(workdir, exist_ok=True)
    if os.path.exists(name):
        return name
    if ":" in name:
        source, size = name.split(":", 1)
        size = size.upper()
        tokens = int(float(size.rstrip("MK")) * (1_000_000 if size.endswith("M") else 1000))
        path = os.path.join(workdir, f"{source}-{size}")
        if not os.path.exists(path):
            # ~5.3 bytes a token: read a little more than needed, keep the first `tokens` words.
            if source == "gutenberg":
                packed = shlex.quote(os.path.join(DATA, "gutenberg100m.xz"))
                raw = subprocess.run(f"xz -dc {packed} | head -c {tokens * 7}", shell=True, capture_output=True,
                                     check=True).stdout
            else:
                with open(os.path.join(DATA, source), "rb") as f:
                    raw = f.read(tokens * 7)
            words = raw.split()[:tokens]
            _write_atomically(path, lambda out: out.write(b" ".join(words)))
        return path
    plain = os.path.join(DATA, name)
    if os.path.exists(plain):
        return plain
    packed = plain + ".xz"
    if not os.path.exists(packed):
        sys.exit(f"no corpus {name} (looked for {plain} and {packed})")
    path = os.path.join(workdir, name)
    if not os.path.exists(path):
        _write_atomically(path, lambda out: subprocess.run(["xz", "-dc", packed], stdout=out, check=True))
    return path


def corpus_in_lines(path, workdir, words_per_line=1000):
    """The tokens of `path` in lines of `words_per_line` (made once in workdir): gensim's
    corpus_file mode and its iterables read lines (on the one-line gutenberg100m corpus_file used
    4 GiB and learned nothing)."""
    lines = os.path.join(workdir, os.path.basename(path) + ".lines")
    if not os.path.exists(lines):
        with open(path, "rb") as f:
            words = f.read().split()

        def write(out):
            for i in range(0, len(words), words_per_line):
                out.write(b" ".join(words[i:i + words_per_line]) + b"\n")
        _write_atomically(lines, write)
    return lines
