{#- Marts built per group, in PostgreSQL (dispatched from ../changed_groups.sql). -#}

{% macro postgres__rv_log_changed_groups(rows) -%}
    insert into ops.changed_groups (model, group_column, source_system, group_value, changed_by)
    select distinct
        '{{ this.schema }}.{{ this.identifier }}',
        changed.group_column,
        {{ rv_logged_source('logged') }},
        changed.group_value,
        pg_current_xact_id()::xid
    from {{ rows }} as logged
    cross join lateral (
        values
        {%- for column in rv_logged_groups() %}
            ('{{ column }}', logged.{{ column }}::text){{ ',' if not loop.last }}
        {%- endfor %}
    ) as changed (group_column, group_value)
    where changed.group_value is not null
{%- endmacro %}

{#- Whether this model's last build is unknown, or a producer's (`schema.identifier`)
    is, or a producer was rebuilt since this model's (ages of transaction ids, as
    rv_written_since_built): then what changed since is unknown, and the model
    recomputes everything. -#}
{% macro rv_producers_rebuilt(producers) -%}
    {%- set read -%}
        select coalesce(bool_or(
            mine.written_by is null
            or theirs.written_by is null
            or coalesce(age(theirs.rebuilt_by) < age(mine.written_by), false)
        ), true)
        from (values
            {%- for producer in producers %}
            ('{{ producer }}'){{ ',' if not loop.last }}
            {%- endfor %}
        ) as producers (model)
        left join ops.model_writes as mine on mine.model = '{{ this.schema }}.{{ this.identifier }}'
        left join ops.model_writes as theirs on theirs.model = producers.model
    {%- endset -%}
    {{ return(run_query(read).rows[0][0]) }}
{%- endmacro %}


{#- Everything is recomputed when this model is built in full, its producers were
    rebuilt since (rv_producers_rebuilt), or rv_watermarks says so. -#}
{% macro postgres__rv_changed_groups(producers, column, inputs) -%}
    {%- set name = this.identifier ~ '__changed_groups' -%}
    {%- if not execute or not is_incremental() or not producers -%}
        {{ return({'everything': true, 'table': name}) }}
    {%- endif -%}
    {%- set everything = rv_producers_rebuilt(producers) or rv_watermarks(inputs)['everything_changed'] -%}
    {{ return({'everything': everything, 'table': name}) }}
{%- endmacro %}

{% macro postgres__rv_stage_changed_groups(producers, column, inputs) -%}
    {%- set changed = postgres__rv_changed_groups(producers, column, inputs) -%}
    {%- set logged -%}
        group_column = '{{ column }}' and model in (
            {%- for producer in producers -%}
            '{{ producer }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    {%- endset -%}
    {%- if changed.everything %}
    {%- if producers %}
    delete from ops.changed_groups where {{ logged }};
    {%- endif %}
    {%- if is_incremental() %}
    delete from {{ this }}
    {%- else %}
    select 1
    {%- endif %}
    {%- else %}
    drop table if exists {{ changed.table }};
    create temporary table {{ changed.table }} (source_system text, key text);
    with taken as (
        delete from ops.changed_groups where {{ logged }}
        returning source_system, group_value
    )
    insert into {{ changed.table }} (source_system, key)
    select distinct source_system, group_value from taken;
    analyze {{ changed.table }};
    delete from {{ this }} as built
    using {{ changed.table }} as changed
    where built.source_system = changed.source_system and built.{{ column }} = changed.key
    {%- endif %}
{%- endmacro %}

{% macro postgres__rv_index_columns(columns, where) -%}
    do $$
    begin
        {%- for column in columns %}
        if not exists (
            select 1 from pg_index as found
            inner join pg_attribute as attributes
                on attributes.attrelid = found.indrelid and attributes.attnum = found.indkey[0]
            where
                found.indrelid = '{{ this }}'::regclass
                and found.indnatts = 1
                {%- if where %}
                and pg_get_expr(found.indpred, found.indrelid) = '{{ where | replace("'", "''") }}'
                {%- else %}
                and found.indpred is null
                {%- endif %}
                and attributes.attname = '{{ column }}'
        ) then
            create index on {{ this }} ({{ column }}){% if where %} where {{ where }}{% endif %};
        end if;
        {%- endfor %}
    end
    $$
{%- endmacro %}
