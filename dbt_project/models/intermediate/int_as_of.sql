{#- The moment every age-based figure is computed at (METRICS.md, Time): the var
    as_of when the run passes one (revalign build --as-of, the Airflow run), else the
    latest extraction time among the loaded extract files. Never now(). -#}
select
    {% if var('as_of') -%}
    '{{ var("as_of") }}'::timestamptz as as_of
    {%- else -%}
    max(extracted_at) as as_of
    {%- endif %}
from {{ source('ops', 'load_ledger') }}
