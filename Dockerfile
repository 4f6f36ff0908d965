# revalign on the official Airflow image: the same DAGs, dbt project and library,
# with the Python dependencies pinned by uv.lock.
FROM apache/airflow:3.3.2-python3.11

USER root
COPY --chown=airflow:root . /opt/revalign
USER airflow
WORKDIR /opt/revalign
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps /opt/revalign

ENV REVALIGN_HOME=/opt/revalign/.revalign \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/revalign/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
