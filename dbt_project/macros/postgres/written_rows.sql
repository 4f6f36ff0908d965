{#- Which rows the latest build of an incremental model wrote, in PostgreSQL (dispatched
    from ../written_rows.sql): a build of a model is one transaction, so every row it
    inserted carries that transaction's id (the system column xmin), which the model's
    post-hook records in ops.model_writes. -#}

{% macro postgres__rv_record_written_rows() -%}
    insert into ops.model_writes (model, written_by, written_at)
    values ('{{ this.schema }}.{{ this.identifier }}', pg_current_xact_id()::xid, now())
    on conflict (model) do update
        set written_by = excluded.written_by, written_at = excluded.written_at
{%- endmacro %}

{% macro postgres__rv_written_rows_condition(relation) -%}
    {{ return(
        "xmin = (select written_by from ops.model_writes where model = '"
        ~ relation.schema ~ "." ~ relation.identifier ~ "')"
    ) }}
{%- endmacro %}
