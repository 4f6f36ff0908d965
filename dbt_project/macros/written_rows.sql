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

{% macro default__rv_written_since_built(upstream, id_column) -%}
    {{ return({'everything': true, 'query': 'select source_system, ' ~ id_column ~ ' as key from ' ~ upstream}) }}
{%- endmacro %}

{#- Pre-hook of an incremental model built from another one, `upstream`, record by
    record (its rows of a record depend only on upstream's row of that record and on
    what upstream's build watches): the temporary table `name` (source_system, key)
    of the records of `upstream` written or dropped since this model's last build,
    whose rows are then deleted here; the model's select recomputes them from it. All
    of upstream's records, and every row deleted, when this model's rows cannot be
    trusted: upstream was built in full since (records may have gone without a trace),
    this model's latest write is unknown, or the settings it names in meta.settings
    changed. -#}
{% macro rv_stage_written_since_built(upstream, id_column, name) -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set since = adapter.dispatch('rv_written_since_built', 'revalign')(upstream, id_column) -%}
    {{ rv_temp_table(name, since.query) }}
    delete from {{ this }} as built
    {%- if not since.everything %}
    using {{ name }} as written
    where built.source_system = written.source_system and built.{{ id_column }} = written.key
    {%- endif %}
{%- endmacro %}

{#- The settings a model's rows are computed with (its meta.settings), or none. -#}
{% macro rv_model_settings() -%}
    {{ return((model.config.get('meta') or {}).get('settings')) }}
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
