"""``revalign demo``: the README's first command, end to end on this machine."""

from __future__ import annotations

from typing import TextIO

from revalign import schemas, settings, transform, warehouse


def run(out: TextIO) -> None:
    conn = warehouse.start()
    bi_password = warehouse.bi_password()
    created = schemas.set_up(conn, settings.bi_role(), bi_password)
    nodes = transform.build(conn)
    kind = "embedded" if warehouse.is_embedded() else "external"
    out.write(
        "\n".join(
            [
                "revalign demo",
                f"  warehouse ({kind}): {conn.redacted()}",
                "    full URL with password: revalign warehouse url --show-password",
                f"  schemas: {', '.join(settings.SCHEMAS)}"
                + (f" (created now: {', '.join(created)})" if created else ""),
                f"  read-only BI role: {settings.bi_role()} (select on marts only)"
                if bi_password
                else "  read-only BI role: not created (set REVALIGN_BI_PASSWORD)",
                f"  dbt build: {len(nodes)} nodes ok, project in {transform.DBT_PROJECT_DIR}",
                f"  landing zone: {settings.landing_dir()}",
                f"  Airflow home: {settings.airflow_home()} (make airflow for the UI)",
                f"  local state: {settings.home()}",
                "",
            ]
        )
    )
