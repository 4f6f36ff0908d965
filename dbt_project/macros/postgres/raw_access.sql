{#- PostgreSQL's access paths to raw tables (dispatched from ../staged_records.sql):
    indexes on load time and record key, and rows fetched by their address (ctid). -#}

{% macro postgres__rv_index_raw(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
    select 1
    {%- else -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set key = rv_record_key(node) -%}
    {%- set missing = [] -%}
    {%- for suffix, expression in [('loaded_at', '_loaded_at'), ('record_key', '(' ~ key ~ ')')] -%}
    {%- set index = relation.identifier ~ '__' ~ suffix -%}
    {%- if run_query("select to_regclass('" ~ relation.schema ~ "." ~ index ~ "')").rows[0][0] is none -%}
    {%- do missing.append('create index if not exists ' ~ index ~ ' on ' ~ relation ~ ' (' ~ expression ~ ')') -%}
    {%- endif -%}
    {%- endfor -%}
    {%- if missing %}
    {{ missing | join(';\n    ') }};
    {{ postgres__rv_analyze(relation) }}
    {%- else -%}
    select 1
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro postgres__rv_row_address() -%}
    ctid
{%- endmacro %}

{% macro postgres__rv_join_by_address(relation, alias, address, few) -%}
    {%- if few -%}
    -- one row each, by its address: a join would hash the whole raw table
    cross join lateral (
        select * from {{ relation }} as {{ alias }} where {{ alias }}.ctid = {{ address }} offset 0
    ) as {{ alias }}
    {%- else -%}
    inner join {{ relation }} as {{ alias }} on {{ alias }}.ctid = {{ address }}
    {%- endif -%}
{%- endmacro %}
