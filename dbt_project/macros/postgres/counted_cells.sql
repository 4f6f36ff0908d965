{#- Counts kept up from what changed, in PostgreSQL (dispatched from ../counted_cells.sql). -#}

{% macro postgres__rv_stage_counted_records(since, id_column, name) -%}
    {%- set changes = rv_changes_relation(this) -%}
    {{ rv_temp_table(name, since.query) }}
    create table if not exists {{ changes }} as
    select -1::smallint as sign, * from {{ this }} where false;
    {%- if since.everything %}
    delete from {{ this }};
    {{ postgres__rv_record_rebuild() }}
    {%- else %}
    with taken as (
        delete from {{ this }} as built
        using {{ name }} as written
        where built.source_system = written.source_system and built.{{ id_column }} = written.key
        returning built.*
    )
    insert into {{ changes }}
    select -1, taken.* from taken
    {%- endif %}
{%- endmacro %}

{#- The rows this build wrote are those its insert listed (ops.written_rows); none are
    logged when it recomputed every record (its pre-hook recorded a rebuild). -#}
{% macro postgres__rv_log_counted_rows() -%}
    {%- set changes = rv_changes_relation(this) -%}
    {%- if is_incremental() %}
    insert into {{ changes }}
    select 1, built.* from {{ this }} as built
    where
        {{ rv_listed_rows(this) }}
        and not exists (
            select from ops.model_writes
            where
                model = '{{ this.schema }}.{{ this.identifier }}'
                and rebuilt_by = pg_current_xact_id()::xid
        )
    {%- else %}
    drop table if exists {{ changes }};
    create table {{ changes }} as
    select 1::smallint as sign, * from {{ this }} where false
    {%- endif %}
{%- endmacro %}

{#- Everything is recounted when this model is built in full, or the narrow model was
    rebuilt since (rv_producers_rebuilt, changed_groups.sql). -#}
{% macro postgres__rv_counted_changes(narrow) -%}
    {%- set name = this.identifier ~ '__counted' -%}
    {%- if not execute or not is_incremental() -%}
        {{ return({'everything': true, 'table': name}) }}
    {%- endif -%}
    {%- set everything = rv_producers_rebuilt([narrow.schema ~ '.' ~ narrow.identifier]) -%}
    {{ return({'everything': everything, 'table': name}) }}
{%- endmacro %}

{#- A cell is matched by the text of its row of values: null-safe, and hashable. A
    change that a change of the opposite sign cancels (the same cell and `values`) is
    no change: only the cells something changed in are taken out and counted again. -#}
{% macro postgres__rv_stage_counted_changes(narrow, cells, measures, values) -%}
    {%- set counted = postgres__rv_counted_changes(narrow) -%}
    {%- set changes = rv_changes_relation(narrow) -%}
    {%- set columns = cells + values -%}
    {%- if counted.everything %}
    delete from {{ changes }};
    {%- if is_incremental() %}
    delete from {{ this }}
    {%- else %}
    select 1
    {%- endif %}
    {%- else %}
    drop table if exists {{ counted.table }};
    create temporary table {{ counted.table }} as
    select * from {{ this }} where false;
    with taken as (
        delete from {{ changes }} returning *
    ),

    net as (
        select
            {{ columns | join(', ') }},
            sum(sign) as sign
        from taken
        group by {{ columns | join(', ') }}
        having sum(sign) != 0
    )

    insert into {{ counted.table }} ({{ cells | join(', ') }}, {{ measures.keys() | join(', ') }})
    select
        {{ cells | join(', ') }},
        {%- for name, sum in measures.items() %}
        coalesce({{ sum }}, 0){{ ',' if not loop.last }}
        {%- endfor %}
    from net
    group by {{ cells | join(', ') }};
    with taken as (
        delete from {{ this }} as built
        using (select distinct {{ cells | join(', ') }} from {{ counted.table }}) as changed
        where
            row({% for cell in cells %}built.{{ cell }}{{ ', ' if not loop.last }}{% endfor %})::text
            = row({% for cell in cells %}changed.{{ cell }}{{ ', ' if not loop.last }}{% endfor %})::text
        returning built.*
    )

    insert into {{ counted.table }}
    select * from taken;
    {{ rv_analyze(counted.table) }}
    {%- endif %}
{%- endmacro %}
