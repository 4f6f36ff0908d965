{#- Pre-hook of staging and mart models: no JIT compilation in this model's
    transaction. PostgreSQL compiles a statement whose estimated cost passes
    jit_above_cost; the estimates of these statements are often far too high (a
    lookup of a few thousand keys, rules unnested per lead), and at a million leads
    compiling took 0.2 to 2.6 s a statement, for nothing: a full staging build took
    the same time without it (36.7 and 38.2 s against 37.1 and 36.9 s). -#}
{% macro rv_without_jit() -%}
    set local jit = off
{%- endmacro %}

{#- Post-hook of staging and mart models: analyse the table just built when it has
    no statistics yet (built anew) or a tenth of its rows changed since it last had
    them. The models after it in the same build are planned on them, and autovacuum
    would bring them a minute later. An incremental build that changed a few rows
    skips it (about half a second a table at a million leads). -#}
{% macro rv_analyze_when_stale() -%}
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
