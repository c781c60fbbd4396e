"""Shared fixtures of the Python tests, and the EMBEDKIT_SKIPPED marker for skipped tests."""
import os
import random
import sys

import pytest

SHARED_DATA = os.environ.get("EMBEDKIT_SHARED_DATA_DIR",
                             os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


def pytest_runtest_logreport(report):
    # CTest reports a test whose output has the marker as skipped (and CI fails on it).
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        sys.__stdout__.write("\nEMBEDKIT_SKIPPED: %s: %s\n" % (report.nodeid, reason))
        sys.__stdout__.flush()


def topic_sentences(count=3000, seed=7, mix=0.0):
    """Sentences drawn from two topics (each word from the other topic with probability `mix`):
    a trainer must put each topic's words closer to each other than to the other topic's."""
    rng = random.Random(seed)
    topics = [["cat", "dog", "horse", "cow", "sheep", "goat", "pig", "mouse"],
              ["red", "blue", "green", "yellow", "purple", "orange", "black", "white"]]
    sentences = []
    for i in range(count):
        words = topics[i % 2]
        sentences.append([rng.choice(topics[(i + 1) % 2] if rng.random() < mix else words)
                          for _ in range(rng.randint(6, 12))])
    return sentences, topics


@pytest.fixture(scope="session")
def topics():
    return topic_sentences()


@pytest.fixture(scope="session")
def topic_file(tmp_path_factory, topics):
    path = tmp_path_factory.mktemp("corpus") / "topics.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in topics[0]))
    return str(path)


def shared(name):
    path = os.path.join(SHARED_DATA, name)
    if not os.path.exists(path):
        pytest.skip("shared data %s not found (EMBEDKIT_SHARED_DATA_DIR)" % path)
    return path


def topic_separation(wv, topics):
    """Mean cosine within topics minus mean cosine across them."""
    import numpy as np

    def cos(a, b):
        va, vb = wv[a], wv[b]
        return float(np.dot(va, vb) / (np.linalg.norm(va) * np.linalg.norm(vb)))

    within = [cos(a, b) for t in topics for a in t for b in t if a < b]
    across = [cos(a, b) for a in topics[0] for b in topics[1]]
    return sum(within) / len(within) - sum(across) / len(across)
