{#- The data tests of an incremental model read the rows its latest build wrote, not
    the whole table: a build that brought a thousand changed records tests a thousand
    rows, not the million it left alone (tested when they were written). A full
    refresh writes every row, so it tests every row. A uniqueness test reads every row
    of the keys the build wrote, old ones included: a written row that repeats an
    older one's key fails it.

    Left whole: tests of tables rebuilt in every build, the other side of a
    relationships test (the model referred to), singular tests, and the tests named in
    rv_tests_of_whole_tables (a share of all the model's records). -#}

{#- Post-hook of every model (dbt_project.yml): an incremental model records which
    write of the warehouse was its latest build. -#}
{% macro rv_record_written_rows() -%}
    {%- if model.config.materialized == 'incremental' -%}
        {{ return(adapter.dispatch('rv_record_written_rows', 'revalign')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__rv_record_written_rows() -%}
    select 1
{%- endmacro %}

{#- Pre-hook of every model (dbt_project.yml): a full build of an incremental model
    (its first, or a full refresh) records itself as such, so that the models built
    from what it wrote read all of it (rv_written_since_built). -#}
{% macro rv_record_rebuild() -%}
    {%- if model.config.materialized == 'incremental' and not is_incremental() -%}
        {{ return(adapter.dispatch('rv_record_rebuild', 'revalign')()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__rv_record_rebuild() -%}
    select 1
{%- endmacro %}

{#- A condition on the rows of `relation` its latest build wrote ('' for every row). -#}
{% macro rv_written_rows_condition(relation) -%}
    {{ return(adapter.dispatch('rv_written_rows_condition', 'revalign')(relation)) }}
{%- endmacro %}

{% macro default__rv_written_rows_condition(relation) -%}
    {{ return('') }}
{%- endmacro %}

{% macro rv_tests_of_whole_tables() -%}
    {{ return(['cast_failures']) }}
{%- endmacro %}

{#- The columns a uniqueness test compares (none for other tests). -#}
{% macro rv_keys_tested(test) -%}
    {%- if test.name == 'unique' -%}
        {{ return([test.kwargs.column_name]) }}
    {%- elif test.name == 'unique_combination' -%}
        {{ return(test.kwargs.columns) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}

{#- dbt's own macro, which puts a test's `where` config around the model it tests, also
    limits a test of an incremental model to the rows written by its latest build. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
    {%- if tested is not none
        and tested.config.materialized == 'incremental'
        and model.test_metadata.name not in rv_tests_of_whole_tables() -%}
        {%- set written = rv_written_rows_condition(relation) -%}
        {%- set keys = rv_keys_tested(model.test_metadata) -%}
        {%- if written and keys -%}
            {%- set key = '(' ~ keys | join(', ') ~ ')' -%}
            {%- do conditions.append(key ~ ' in (select ' ~ keys | join(', ') ~ ' from ' ~ relation ~ ' where ' ~ written ~ ')') -%}
        {%- elif written -%}
            {%- do conditions.append(written) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
