{#- Models built record by record from an incremental mart (fct_attribution_credits and
    fct_opportunity_stages from fct_opportunities, int_hygiene_issues from
    fct_lead_funnel and fct_opportunities): each build recomputes the records the
    mart wrote or dropped since this model's own last build, found from what the
    warehouse knows of each write (macros/written_rows.sql: ops.model_writes,
    ops.dropped_rows), not by watching the mart's inputs again. It holds because the
    mart rewrites a record whenever anything the model reads of it can have changed.

    Every record is recomputed instead, and every row of the model deleted first, when
    its rows cannot be trusted: the mart was built in full since (a record may have
    gone without a trace), this model's last write is unknown, or its settings
    changed. `settings` is a SQL expression of what else its rows depend on (dbt vars,
    seeds, small tables), recorded with each build (rv_record_settings). -#}

{#- {everything, query, all}: whether every record is to be recomputed, a query of
    (source_system, key) of the records of `upstream` to recompute, and one of all its
    records (for a model built from two marts that recomputes everything when either
    says so). -#}
{% macro rv_written_since_built(upstream, id_column, settings='null') -%}
    {{ return(adapter.dispatch('rv_written_since_built', 'revalign')(upstream, id_column, settings)) }}
{%- endmacro %}

{% macro default__rv_written_since_built(upstream, id_column, settings) -%}
    {%- set everything = 'select source_system, ' ~ id_column ~ ' as key from ' ~ upstream -%}
    {{ return({'everything': true, 'query': everything, 'all': everything}) }}
{%- endmacro %}

{#- Pre-hook of a model built from one mart: the temporary table `name` (source_system,
    key) of the records to recompute, whose rows are deleted here (all rows when
    everything is recomputed); the model's select reads `name`. -#}
{% macro rv_stage_written_since_built(upstream, id_column, name, settings='null') -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {{ rv_stage_written(rv_written_since_built(upstream, id_column, settings), id_column, name) }}
{%- endmacro %}

{#- Statements: the temporary table `name` of the records `since` (rv_written_since_built)
    says to recompute, and the delete of their rows (of every row when everything is). -#}
{% macro rv_stage_written(since, id_column, name) -%}
    {{ rv_temp_table(name, since.query) }}
    {%- if since.everything %}
    delete from {{ this }}
    {%- else %}
    {{ rv_delete_records(name, id_column) }}
    {%- endif %}
{%- endmacro %}

{#- The rows of this model of the records in the temporary table `name` (source_system,
    key), among the rows `condition` (over `built`) selects. -#}
{% macro rv_delete_records(name, id_column, condition='true') -%}
    delete from {{ this }} as built
    using {{ name }} as written
    where
        built.source_system = written.source_system
        and built.{{ id_column }} = written.key
        and {{ condition }}
{%- endmacro %}

{#- Post-hook: the settings this build computed its rows with. -#}
{% macro rv_record_settings(settings) -%}
    {{ return(adapter.dispatch('rv_record_settings', 'revalign')(settings)) }}
{%- endmacro %}

{% macro default__rv_record_settings(settings) -%}
    select 1
{%- endmacro %}
