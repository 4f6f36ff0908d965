# revalign on the official Airflow image: the same DAGs, dbt project and library as on a
# laptop, with the Python dependencies pinned by uv.lock. Every container of
# docker-compose.yml's Airflow runs `revalign airflow <component>` (the entrypoint below), which derives Airflow's
# configuration (metadata database, warehouse connection, dbt profile) from REVALIGN_*
# variables; Airflow's own AIRFLOW__* variables (the executor, the broker) pass through.
FROM apache/airflow:3.3.2-python3.11

USER root
COPY --chown=airflow:root . /opt/revalign
USER airflow
WORKDIR /opt/revalign
# The project is installed editable so that revalign finds its dags/ and dbt_project/.
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/revalign

ENV REVALIGN_HOME=/opt/revalign/.revalign \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
# build_marts is rendered from the dbt manifest: parse the project once, at build time;
# the Data Docs' web assets are fetched then too (the site opens without the internet).
# Group 0 may write revalign's home, so the containers can run as any uid in group 0
# (docker-compose.yml's AIRFLOW_UID).
RUN revalign manifest \
 && python -m revalign.checks.offline_docs \
 && mkdir -p .revalign/airflow/logs .revalign/data_docs \
 && chmod -R g+rwX /opt/revalign

# Through the image's own /entrypoint (it gives an arbitrary uid a user, sets the umask),
# whose `bash` command hands the arguments to `revalign airflow`.
ENTRYPOINT ["/usr/bin/dumb-init", "--", "/entrypoint", "bash", "-c", "exec revalign airflow \"$@\"", "--"]
CMD ["standalone"]
