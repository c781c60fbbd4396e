"""The package as shipped: type stubs that name every public function, docstrings, and
`cmake --install` putting an importable package where Debian's python3 looks."""
import ast
import os
import re
import subprocess
import sys

import pytest

import embedkit
from embedkit import _embedkit

PACKAGE = os.path.dirname(embedkit.__file__)


def stub_names(name):
    tree = ast.parse(open(os.path.join(PACKAGE, name)).read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def test_stubs_name_every_public_function_and_class():
    package = stub_names("__init__.pyi")
    assert set(embedkit.__all__) <= package, set(embedkit.__all__) - package
    extension = stub_names("_embedkit.pyi")
    public = {n for n in dir(_embedkit) if not n.startswith("_")}
    assert public <= extension, public - extension
    members = {n for n in dir(_embedkit.KeyedVectors) if not n.startswith("_")} | {"__getitem__", "__contains__"}
    assert members <= extension, members - extension
    for cls in ("Word2VecOptions", "FastTextOptions", "GloveOptions", "PpmiSvdOptions", "PairTrainerOptions"):
        fields = {n for n in dir(getattr(_embedkit, cls)()) if not n.startswith("_")}
        assert fields <= extension, (cls, fields - extension)
    losses = {n for n in dir(_embedkit.losses) if not n.startswith("_")}
    assert losses <= extension, losses - extension


def test_public_functions_have_docstrings():
    for name in embedkit.__all__:
        obj = getattr(embedkit, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name


def test_cmake_install_puts_an_importable_package_in_dist_packages(tmp_path):
    if not os.path.exists("cmake_install.cmake"):
        pytest.skip("not run from the build directory (CTest runs it there)")
    prefix = str(tmp_path / "prefix")
    done = subprocess.run(["cmake", "--install", ".", "--prefix", prefix], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # needs the whole build (the CLI is installed too)
    site = os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2], "dist-packages")
    assert os.path.exists(os.path.join(site, "embedkit", "__init__.pyi"))
    env = dict(os.environ, PYTHONPATH=site)
    out = subprocess.run([sys.executable, "-c", "import embedkit; print(embedkit.__file__, embedkit.__version__)"],
                         env=env, capture_output=True, text=True, check=True, cwd=str(tmp_path)).stdout
    assert out.startswith(site) and re.search(r"\d+\.\d+\.\d+", out)


def test_the_example_port_differs_from_the_gensim_script_only_in_its_import():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python")
    gensim_lines = open(os.path.join(here, "gensim_word2vec.py")).read().splitlines()
    port_lines = open(os.path.join(here, "embedkit_word2vec.py")).read().splitlines()
    assert len(gensim_lines) == len(port_lines)
    differ = [(g, p) for g, p in zip(gensim_lines, port_lines) if g != p]
    assert differ == [('"""A typical gensim script.', '"""The embedkit port of gensim_word2vec.py.'),
                      ("from gensim.models import Word2Vec, FastText", "from embedkit import Word2Vec, FastText")]
