"""revalign's LocalExecutor imports what the tasks need before it forks its workers."""

import subprocess
import sys

from revalign import settings

SCRIPT = """
import sys
from revalign.orchestration.local_executor import PreloadingLocalExecutor
from revalign.orchestration.task_preload import PRELOADED_MODULES

assert "great_expectations" not in sys.modules, "imported before the executor started"
executor = PreloadingLocalExecutor(parallelism=2)
executor.start()
try:
    missing = [m for m in PRELOADED_MODULES if m not in sys.modules]
    assert missing == [], missing
    assert len(executor.workers) == 2  # forked after the imports: they hold them too
finally:
    executor.end()
print("ok")
"""


def test_the_executor_imports_what_tasks_need_before_it_forks_its_workers(airflow_env):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=airflow_env,
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
    assert "Imported what revalign's tasks need" in done.stdout + done.stderr
    # GX's import narrates itself at info level; the scheduler's log is spared it
    assert "Skipping registering function" not in done.stdout + done.stderr
