"""What the distributed benchmarks share: where the data and the binary are, mpirun's flags,
unpacking a corpus, timing a command, scoring vectors."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from corpora import DATA, corpus_file  # noqa: E402 (beside this script)
EMBEDKIT = os.path.join(ROOT, "build", "bin", "embedkit")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]


def corpus_path(name, tmp):
    return corpus_file(name, tmp)


def run_timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS MiB of the largest process,
    the command's stderr)."""
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=env)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return seconds, rss, r.stderr


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS MiB of the largest process)."""
    seconds, rss, _ = run_timed(cmd)
    return seconds, rss


def evaluate(vectors):
    out = subprocess.run([EMBEDKIT, "eval", "--vectors", vectors, "--json",
                          "--analogies", os.path.join(DATA, "eval", "questions-words.txt"),
                          "--similarity", os.path.join(DATA, "eval", "ws353.txt")],
                         capture_output=True, text=True, check=True).stdout
    j = json.loads(out)
    return j["analogies"]["overall"]["accuracy"], j["similarity"]["spearman"]
