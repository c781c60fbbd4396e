"""Runs one pytest file for CTest (python/CMakeLists.txt). A missing pytest or embedkit module,
and every test pytest skips, print "EMBEDKIT_SKIPPED: reason" (CTest then reports the test as
skipped, and CI fails on skips; conftest.py prints the marker for skipped tests)."""
import sys

try:
    import pytest
except ImportError:
    print("EMBEDKIT_SKIPPED: pytest is not installed (apt-get install python3-pytest)")
    sys.exit(0)
try:
    import embedkit  # noqa: F401
except ImportError as e:
    print("EMBEDKIT_SKIPPED: the embedkit module cannot be imported (%s); build the target embedkit_python" % e)
    sys.exit(0)

sys.exit(pytest.main(["-q", "-rs", "-p", "no:cacheprovider", *sys.argv[1:]]))
