{#- Marts built per group (account_funnel: one row per account) from incremental
    models. Each build recomputes only the groups something changed in, not every
    group: at five million leads account_funnel rewrote 1.1 million accounts in
    every build, for the few thousand a batch touches.

    A group is touched by a row written into it and by a row taken out of it: a
    person who moved from account A to account B changes both, and only the row the
    build deletes still says A. So an incremental model that names group columns
    (meta.changed_groups, and meta.source_system for a staging model, which has no
    source_system column) logs the group of every row it inserts and deletes, in the
    same statement, in ops.changed_groups: dbt's delete+insert and append strategies
    (macros/postgres/written_rows.sql) and the drop of records a source deleted
    (rv_delete_dropped).

    The one model that reads a (model, group column) takes the entries out as it reads
    them (a delete in its pre-hook, in its own transaction: a failed build leaves them
    for the next). It recomputes every group instead when its rows cannot be trusted:
    it is built in full, its last build is unknown, one of the models it reads was
    built in full since (which clears that model's entries), or what else its rows
    depend on changed (rv_watermarks: users, as_of moved back, a field a source never
    delivered before). -#}

{#- The group columns the model being built logs ([] when none). -#}
{% macro rv_logged_groups() -%}
    {{ return((model.config.get('meta') or {}).get('changed_groups', [])) }}
{%- endmacro %}

{#- SQL: the source of a logged row of `rows` (a relation or CTE): its source_system
    column, or the source a staging model names (meta.source_system). -#}
{% macro rv_logged_source(rows) -%}
    {%- set source = (model.config.get('meta') or {}).get('source_system') -%}
    {{ return("'" ~ source ~ "'" if source else rows ~ '.source_system') }}
{%- endmacro %}

{#- The columns a statement returns for rv_log_changed_groups: the logged groups, and
    source_system when the rows have it; `alias` qualifies them (a delete's target). -#}
{% macro rv_logged_columns(alias='') -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {%- set columns = [] -%}
    {%- for column in rv_logged_groups() -%}
        {%- do columns.append(prefix ~ column) -%}
    {%- endfor -%}
    {%- if not (model.config.get('meta') or {}).get('source_system') -%}
        {%- do columns.append(prefix ~ 'source_system') -%}
    {%- endif -%}
    {{ return(columns | join(', ')) }}
{%- endmacro %}

{#- Statement: log the groups of `rows` (a CTE of rows a statement inserted or deleted,
    with rv_logged_columns) in ops.changed_groups. -#}
{% macro rv_log_changed_groups(rows) -%}
    {{ return(adapter.dispatch('rv_log_changed_groups', 'revalign')(rows)) }}
{%- endmacro %}

{% macro default__rv_log_changed_groups(rows) -%}
    select 1
{%- endmacro %}

{#- The models (schema.table) whose `column` groups the model being built reads: those
    of its inputs that log them, and of the inputs of its inputs that are views. -#}
{% macro rv_group_producers(column) -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- do rv_collect_group_producers(model.depends_on.nodes, column, found) -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{% macro rv_collect_group_producers(node_ids, column, found) -%}
    {%- for node_id in node_ids -%}
        {%- set node = graph.nodes.get(node_id) -%}
        {%- if node and node.resource_type == 'model' -%}
            {%- if column in (node.config.meta or {}).get('changed_groups', []) -%}
                {%- set name = node.schema ~ '.' ~ node.alias -%}
                {%- if name not in found -%}{%- do found.append(name) -%}{%- endif -%}
            {%- elif node.config.materialized in ('view', 'ephemeral') -%}
                {%- do rv_collect_group_producers(node.depends_on.nodes, column, found) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- {everything, table}: whether this build recomputes every group (see above), and the
    temporary table (source_system, key) of the groups it recomputes otherwise.
    `column`: the group column; `inputs`: the delivery views rv_watermarks reads
    (users). -#}
{% macro rv_changed_groups(column, inputs) -%}
    {{ return(adapter.dispatch('rv_changed_groups', 'revalign')(rv_group_producers(column), column, inputs)) }}
{%- endmacro %}

{% macro default__rv_changed_groups(producers, column, inputs) -%}
    {{ return({'everything': true, 'table': none}) }}
{%- endmacro %}

{#- Pre-hook: the temporary table of the groups to recompute (taken out of
    ops.changed_groups), whose rows are deleted here; every row, and every entry,
    when everything is recomputed. -#}
{% macro rv_stage_changed_groups(column, inputs) -%}
    {{ return(adapter.dispatch('rv_stage_changed_groups', 'revalign')(rv_group_producers(column), column, inputs)) }}
{%- endmacro %}

{% macro default__rv_stage_changed_groups(producers, column, inputs) -%}
    select 1
{%- endmacro %}

{#- Post-hook: an index on each of `columns` (default: the group columns the model
    logs), by which a mart built per group looks up the rows of the groups it
    recomputes (and deletes its own), or a hook or test finds a few rows among many
    (with `where`: fct_lead_funnel's pending MQLs, rv_index_exceptions). Made once, at
    the first build that needs it (an existing warehouse too), and found by its column,
    not its name (the table a full refresh replaces keeps its indexes' names until it
    is dropped, after this hook).
    With `where`, a partial index of the rows it selects, found by column and
    predicate: `where` is written as PostgreSQL prints it back (pg_get_expr), for
    instance "(sla_status = 'pending'::text)". -#}
{% macro rv_index_columns(columns=none, where=none) -%}
    {{ return(adapter.dispatch('rv_index_columns', 'revalign')(
        rv_logged_groups() if columns is none else columns, where)) }}
{%- endmacro %}

{% macro default__rv_index_columns(columns, where) -%}
    select 1
{%- endmacro %}
