{#- The moment every age-based figure is computed at (METRICS.md, Time): the var
    as_of when the run passes one (revalign build --as-of, the Airflow run), else the
    latest extraction time among the loaded extract files. Never now(). One row.
    The source is named outside the if, so that the parse (which finds refs and sources
    by rendering) does not depend on as_of: build_marts reuses one parse for every as_of
    (revalign/orchestration/watcher_build.py). -#}
{%- set load_ledger = source('ops', 'load_ledger') -%}
{% if var('as_of') -%}
    select '{{ var("as_of") }}'::timestamptz as as_of
{%- else -%}
    select max(extracted_at) as as_of
    from {{ load_ledger }}
    where status = 'loaded'{# an ignored object's file is no extract revalign read #}
{%- endif %}
