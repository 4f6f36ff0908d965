"""``revalign airflow standalone`` (``make airflow``): Airflow's standalone, on this machine only.

Airflow's ``airflow standalone`` runs the scheduler, dag-processor, triggerer and API
server as child processes. The API server listens on ``[api] host``, which revalign
sets from ``REVALIGN_AIRFLOW_HOST`` (127.0.0.1 by default); the scheduler and the
triggerer also start task-log servers (ports 8793 and 8794) on every interface, an
address Airflow has no setting for. On one machine the API server reads task logs
from their files, so when the host is a loopback address this runs Airflow's own
standalone command with ``--skip-serve-logs`` added to those two components: nothing
listens beyond this machine. With another host (``0.0.0.0``) it is Airflow's
standalone unchanged.

The admin password is never printed: ``revalign airflow`` writes it (generated, or
``REVALIGN_AIRFLOW_ADMIN_PASSWORD``) to Airflow's password file before Airflow starts,
and Airflow prints a password only when it generates one itself.
"""

from __future__ import annotations

import sys

from revalign import settings

#: Airflow commands that start a task-log server on every interface.
LOG_SERVING = (("scheduler",), ("triggerer",), ("celery", "worker"))


def component_command(command: list[str], loopback: bool) -> list[str]:
    """An Airflow command as revalign runs it: without a log server on a loopback host."""
    serves_logs = any(tuple(command[: len(c)]) == c for c in LOG_SERVING)
    if loopback and serves_logs and "--skip-serve-logs" not in command:
        return [*command, "--skip-serve-logs"]
    return command


def main() -> None:
    from airflow.cli.commands import standalone_command

    loopback = settings.airflow_host_is_loopback()
    airflow_subcommand = standalone_command.SubCommand

    class Component(airflow_subcommand):
        def __init__(self, parent, name: str, command: list[str], env: dict[str, str]):
            super().__init__(parent, name, component_command(command, loopback), env)

    standalone_command.SubCommand = Component  # this process only: it runs nothing else
    standalone_command.StandaloneCommand().run()


if __name__ == "__main__":
    sys.exit(main())
