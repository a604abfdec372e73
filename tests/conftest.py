pytest_plugins = ["conftest_fuzz"]  # --fuzz-long (tests/conftest_fuzz.py, soundness)
