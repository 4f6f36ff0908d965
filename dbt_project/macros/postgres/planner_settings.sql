{#- PostgreSQL's planner settings and statistics (dispatched from ../planner_settings.sql). -#}

{% macro postgres__rv_without_jit() -%}
    set local jit = off
{%- endmacro %}

{% macro postgres__rv_hash_aggregates() -%}
    set local enable_sort = off
{%- endmacro %}

{% macro postgres__rv_without_nested_loops() -%}
    set local enable_nestloop = off
{%- endmacro %}

{% macro postgres__rv_analyze_when_stale() -%}
    do $$
    begin
        if (
            select
                tables.last_analyze is null and tables.last_autoanalyze is null
                or tables.n_mod_since_analyze > 0.1 * greatest(classes.reltuples, 0)
            from pg_class as classes
            inner join pg_stat_user_tables as tables on classes.oid = tables.relid
            where classes.oid = '{{ this }}'::regclass
        ) then
            analyze {{ this }};
        end if;
    end
    $$
{%- endmacro %}

{% macro postgres__rv_analyze(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
