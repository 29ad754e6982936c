"""A part a test needs that is missing: skipped on a developer's machine, a failure on CI.

    missing("chromium is not installed")    # pytest.skip, or pytest.fail when CI=true
    module("cv2")                            # the imported module, or missing(...)

PostgreSQL's fixture (conftest.py) does the same, so a CI run cannot turn green by
skipping the tests of a part it lacks.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> NoReturn:
    if on_ci():
        pytest.fail(f"required on CI: {reason}")
    pytest.skip(reason)


def module(name: str, install: str = "") -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} cannot be imported ({exc}){'; ' + install if install else ''}")
