{#- The moment every age-based figure is computed at (METRICS.md, Time): the var
    as_of when the run passes one (revalign build --as-of, the Airflow run), else the
    latest extraction time among the loaded extract files. Never now(). One row. -#}
{% if var('as_of') -%}
    select '{{ var("as_of") }}'::timestamptz as as_of
{%- else -%}
    select max(extracted_at) as as_of
    from {{ source('ops', 'load_ledger') }}
{%- endif %}
