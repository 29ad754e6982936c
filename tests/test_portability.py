"""A Python without `fcntl`, run here: every module imports, and a training job is started,
watched and finished through the job runner, with its one-run-at-a-time lock held.

What this covers, and what it does not: without `fcntl`, filelock 4 falls back to
`SoftFileLock` (a lock file whose existence is the lock), so this checks that the runner
and everything it imports work without a POSIX OS lock. Windows itself takes another path:
filelock's `WindowsFileLock` (msvcrt), the runner's `DETACHED_PROCESS` start and Windows'
own paths and processes. That is run by the fast tests on `windows-latest` and
`macos-latest` in `.github/workflows/tests.yml`, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from model_files import copy_shipped_models  # tests/ is on sys.path (conftest.py)

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter whose `import fcntl` fails (as it does on Windows, though Windows
# then locks with msvcrt, not with the soft lock used here); the training process the runner
# starts gets the same sitecustomize through PYTHONPATH.
NO_FCNTL = 'import sys\nsys.modules["fcntl"] = None  # `import fcntl` raises ImportError, as on Windows\n'

SCRIPT = r"""
import importlib, json, pkgutil, sys, time, warnings
warnings.simplefilter("ignore")
try:
    import fcntl
    sys.exit("fcntl is still importable")
except ImportError:
    pass
import airtype_core
modules = [m.name for m in pkgutil.walk_packages(airtype_core.__path__, "airtype_core.") if ".migrations" not in m.name]
for name in modules:
    importlib.import_module(name)

import numpy as np
from airtype_core.learning.jobs import JobRunner, TrainingBusyError
from airtype_core.learning.options import TrainOptions
from airtype_core.learning.synth import sample
from airtype_core.settings import get_settings
from airtype_core.storage.records import NewSample
from airtype_core.storage.store import Storage

settings = get_settings()
storage = Storage(settings.database_url)
rng = np.random.default_rng(0)
storage.save_samples([NewSample(sample(rng, c)[0], c, "manual") for c in "abcdef" for _ in range(5)])
runner = JobRunner(settings)
runner.start(TrainOptions(mode="finetune", epochs=1, augmentation_factor=1, synthetic_per_class=1, min_samples=10), storage)
try:
    runner.start(TrainOptions(mode="finetune", epochs=1, min_samples=10), storage)
    refused = False
except TrainingBusyError:
    refused = True
deadline = time.monotonic() + 600
while (status := runner.status()).active and time.monotonic() < deadline:
    time.sleep(0.2)
import filelock
print(json.dumps({"modules": len(modules), "refused_second": refused, "state": status.state,
                  "error": status.error, "version": status.outcome.version if status.outcome else None,
                  "lock": filelock.FileLock.__name__}))
"""


@pytest.mark.slow  # a real training job
def test_every_module_imports_and_a_training_job_runs_without_fcntl(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(NO_FCNTL)
    models = tmp_path / "models"
    copy_shipped_models(models)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)]),
        "OMP_NUM_THREADS": "1",
        "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}",
        "AIRTYPE_MODEL_DIR": str(models),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["lock"] == "SoftFileLock", "without fcntl, filelock's soft lock file (not Windows' msvcrt lock)"
    assert result["modules"] > 30
    assert result["refused_second"], "one run at a time holds without fcntl"
    assert result["state"] == "completed" and result["version"], result
    assert (models / result["version"] / "manifest.json").exists()
