{#- The current version of every record of one declared source table, typed.

    Reads the declaration (config.meta.revalign of the source and its columns): each
    declared column comes out cast to its type under its lower-case API name; a
    custom field (custom_field: mql_date) comes out under that role name, read from
    the column the var salesforce_field_names names. Also:
      _key             the record's identity (id columns: their 15-character core)
      _is_deleted      the deleted flag of this newest version
      _invalid_fields  the fields whose non-empty value could not be read
      _modified_at     the version's cursor: the first of the declared cursor fields
                       (SystemModstamp, LastModifiedDate, CreatedDate) it carries
      _loaded_at, _batch_id, _file, _row_number   where this version came from

    The newest version wins: highest cursor, then the latest load, then the last row
    of the file (delivery order: a source without any cursor field). In an incremental run only records that have a
    row loaded since the last build are recomputed, over all their rows; the caller
    inserts them with delete+insert on its key and drops the deleted ones
    (post_hook rv_drop_deleted). Loads write _loaded_at in commit order per table
    (revalign/ingest/loader.py), so the watermark never skips a load. -#}
{% macro rv_newest_records(source_name, table_name) %}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {#- parsing: the call to source() above is all dbt needs to know here -#}
        {{ return('select * from ' ~ relation) }}
    {%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set meta = node.config.meta.revalign -%}
    {%- set present = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set field_names = var('salesforce_field_names', {}) -%}
    {%- set fields = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set decl = column.config.meta.revalign -%}
        {%- set role = decl.get('custom_field') -%}
        {%- set raw_name = (field_names.get(role, column.name) if role else column.name) | lower -%}
        {%- do fields.append({
            'raw': raw_name, 'name': role or (column.name | lower), 'type': decl.type,
            'present': raw_name in present}) -%}
    {%- endfor -%}
    {%- set key = rv_record_key(node) -%}
    {%- set cursor = rv_cursor(meta, present) -%}
    {%- set deleted = "coalesce(" ~ rv_boolean(adapter.quote(meta.deleted_flag | lower)) ~ ", false)" if meta.get('deleted_flag') else 'false' -%}
    {%- set delivered_fields = fields | selectattr('present') | list %}
    -- Versions of the records to (re)compute, narrow: sorting them stays cheap.
    with versions as (
        select
            {{ rv_row_address() }} as _row_ref,
            {{ key }} as _key,
            {{ cursor }} as _cursor,
            _loaded_at,
            _row_number
        from {{ relation }}
        {%- if is_incremental() %}
        where {{ key }} in (
            select {{ key }} from {{ relation }}
            where _loaded_at > {{ rv_staged_through() }}
        )
        {%- endif %}
    ),

    winners as (
        select distinct on (_key)
            _key,
            _row_ref,
            _cursor
        from versions
        order by _key, _cursor desc nulls last, _loaded_at desc, _row_number desc
    ),

    newest as (
        select
            winners._key,
            winners._cursor as _modified_at,
            {{ deleted | replace('"' ~ (meta.get('deleted_flag', '') | lower) ~ '"', 'delivered."' ~ (meta.get('deleted_flag', '') | lower) ~ '"') }} as _is_deleted,
            {%- for field in delivered_fields %}
            delivered.{{ adapter.quote(field.raw) }},
            {%- endfor %}
            delivered._loaded_at,
            delivered._batch_id,
            delivered._file,
            delivered._row_number
        from winners
        {{ rv_join_by_address(relation, 'delivered', 'winners._row_ref', is_incremental()) }}
    ),

    -- Each field cast once (materialized: the select below reads each typed value
    -- twice); _invalid_fields names the non-empty ones that did not cast.
    typed as materialized (
        select
            _key,
            {%- for field in fields %}
            {%- if field.present %}
            {{ rv_cast(adapter.quote(field.raw), field.type) }} as {{ adapter.quote(field.name) }},
            {%- if field.type != 'text' %}
            nullif(trim({{ adapter.quote(field.raw) }}), '') as {{ adapter.quote('_raw_' ~ field.name) }},
            {%- endif %}
            {%- else %}
            null::{{ rv_sql_type(field.type) }} as {{ adapter.quote(field.name) }},
            {%- endif %}
            {%- endfor %}
            _is_deleted,
            _modified_at,
            _loaded_at,
            _batch_id,
            _file,
            _row_number
        from newest
    )

    select
        _key,
        {%- for field in fields %}
        {{ adapter.quote(field.name) }},
        {%- endfor %}
        _is_deleted,
        array_remove(array[
            {%- for field in delivered_fields if field.type != 'text' %}
            case when {{ adapter.quote('_raw_' ~ field.name) }} is not null
                and {{ adapter.quote(field.name) }} is null then '{{ field.raw }}' end,
            {%- endfor %}
            null
        ], null)::text[] as _invalid_fields,
        _modified_at,
        _loaded_at,
        _batch_id,
        _file,
        _row_number
    from typed
    {%- if not is_incremental() %}
    where not _is_deleted
    {%- endif %}
{% endmacro %}

{#- SQL: a raw row's modified-at cursor, the first of the declared cursor fields
    (config.meta.revalign.cursor, one name or a list) that it carries and that reads
    as a timestamp; fields no file delivered (not in `present`) are left out; null
    when none is (the version's load and row order decide). -#}
{% macro rv_cursor(meta, present) -%}
    {%- set names = meta.get('cursor') or [] -%}
    {%- set names = [names] if names is string else names -%}
    {%- set casts = [] -%}
    {%- for name in names if (name | lower) in present -%}
        {%- do casts.append(rv_cast(adapter.quote(name | lower), 'timestamp')) -%}
    {%- endfor -%}
    {%- if casts | length == 0 -%} null::timestamptz
    {%- elif casts | length == 1 -%} {{ casts[0] }}
    {%- else -%} coalesce({{ casts | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- The SQL expression of a record's identity (_key) in the raw table of the source
    `node` (its graph entry): each key column trimmed, an id column cut to its
    15-character core. -#}
{% macro rv_record_key(node) -%}
    {%- set meta = node.config.meta.revalign -%}
    {%- set types = {} -%}
    {%- for column in node.columns.values() -%}
        {%- do types.update({column.name | lower: column.config.meta.revalign.type}) -%}
    {%- endfor -%}
    {%- set keys = meta.key if meta.key is not string else [meta.key] -%}
    {%- set key_parts = [] -%}
    {%- for key in keys -%}
        {%- set column = adapter.quote(key | lower) -%}
        {%- if types.get(key | lower) == 'id' -%}
            {%- do key_parts.append(rv_salesforce_id_15(column)) -%}
        {%- else -%}
            {%- do key_parts.append("coalesce(trim(" ~ column ~ "), '')") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(key_parts | join(" || '|' || ")) }}
{%- endmacro %}

{#- The SQL expression of a record's identity in the raw table of a declared source
    table, as rv_index_raw indexes it (the delivery views, models/intermediate/
    deliveries, expose it as record_key); a placeholder while dbt parses. -#}
{% macro rv_raw_record_key(source_name, table_name) -%}
    {%- if not execute -%}
    null::text
    {%- else -%}
    {{ rv_record_key(graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name]) }}
    {%- endif -%}
{%- endmacro %}

{#- Incremental staging: the newest _loaded_at staged so far, as a literal. With it
    (and the index on raw _loaded_at, rv_index_raw) PostgreSQL sees that a delta is a
    small share of raw (a subquery or stale statistics left it guessing a third of
    the table, or one row) and plans the delta's lookup by its real size. -#}
{% macro rv_staged_through() -%}
    {%- set read = "select coalesce(max(_loaded_at), '-infinity')::text from " ~ this -%}
    '{{ run_query(read).rows[0][0] }}'::timestamptz
{%- endmacro %}

{#- Pre-hook of incremental staging models: index the raw table this model reads by
    load time and by record key, so that an incremental build reads the delta and
    every version of its records by index rather than scanning every version ever
    loaded (so do the incremental marts' pre-hooks, rv_changed_versions). The
    indexes are built once, by the first build, and analysed then (statistics of the
    key expression); loads keep them up to date. Later statistics are autovacuum's:
    with the index on _loaded_at, PostgreSQL reads the newest load time from the
    index when it estimates a delta, so stale statistics do not mislead it. -#}
{% macro rv_index_raw(source_name, table_name) -%}
    {{ return(adapter.dispatch('rv_index_raw', 'revalign')(source_name, table_name)) }}
{%- endmacro %}

{#- Elsewhere: no indexes to build (the call to source() keeps the dependency). -#}
{% macro default__rv_index_raw(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    select 1
{%- endmacro %}

{#- SQL: the physical address of a raw row, which rv_join_by_address finds it by. -#}
{% macro rv_row_address() -%}
    {{ return(adapter.dispatch('rv_row_address', 'revalign')()) }}
{%- endmacro %}

{#- SQL: join clause that fetches, for each row of the query so far, the row of
    `relation` (as `alias`) at the address `address`; one lookup per row when few
    (an incremental build), else a join. -#}
{% macro rv_join_by_address(relation, alias, address, few) -%}
    {{ return(adapter.dispatch('rv_join_by_address', 'revalign')(relation, alias, address, few)) }}
{%- endmacro %}

{% macro rv_sql_type(kind) -%}
    {{ {'id': 'text', 'text': 'text', 'timestamp': 'timestamptz', 'date': 'date',
        'boolean': 'boolean', 'number': 'numeric', 'integer': 'bigint', 'month': 'date'}[kind] }}
{%- endmacro %}

{#- Post-hook of incremental staging models: a record deleted at the source leaves.
    Only the rows this build wrote can be deleted ones (every build drops its own):
    where the warehouse can, an index of the deleted rows, empty between builds, finds
    them without reading every row (rv_index_exceptions). -#}
{% macro rv_drop_deleted() -%}
    {{ rv_index_exceptions() }};
    delete from {{ this }} where _is_deleted
{%- endmacro %}

{#- The rows of a staging model few builds look for among all of them: the deleted
    ones (rv_drop_deleted) and those with a field that could not be read (the
    cast_failures test), in partial indexes on _key where the warehouse has them
    (rv_index_columns). A delete or a count over the whole table read every row of it
    in every build (at five million leads, one to three seconds per staging model for
    each). -#}
{% macro rv_index_exceptions() -%}
    {{ rv_index_columns(['_key'], where='_is_deleted') }};
    {{ rv_index_columns(['_key'], where='(cardinality(_invalid_fields) > 0)') }}
{%- endmacro %}
