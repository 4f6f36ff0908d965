{#- Counts kept up from what changed (int_scorecard_person_cells): the scorecards count
    millions of records into a few thousand cells (month, team, status, ...), and a
    delivery changes a few thousand records, but in half of the cells (a lead created
    in March converts in June: March's cell changes). Recounting those cells reads half
    of the warehouse; adding what changed to the counts reads what changed.

    Two models do it. A narrow model of one row per record (int_scorecard_persons:
    the columns a cell is made of), built record by record from an incremental mart
    (macros/rewritten_records.sql), logs every row its build takes out with sign -1,
    and every row it writes with sign +1, in a table of its changes (`<model>__changes`,
    beside it, same columns), in the same transaction. A record rewritten with the same
    values logs -1 and +1 for the same cell: nothing changes there.
    A model of counts per cell takes the changes out as it reads them (a delete in its
    pre-hook, in its own transaction: a failed build leaves them for the next), adds
    them to the counts of their cells, and keeps the cells whose count is not 0.
    It counts every record of the narrow model instead when its counts cannot be
    trusted: it is built in full, its last build is unknown, or the narrow model was
    rebuilt since (in full, or every record recomputed: its changes are then not
    logged). A narrow model's changes have one reader: a second model of counts over
    the same records needs a narrow model (and a table of changes) of its own. -#}

{#- The table of the changes of `relation` (a narrow model that logs them). -#}
{% macro rv_changes_relation(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema,
        identifier=relation.identifier ~ '__changes')) }}
{%- endmacro %}

{#- Pre-hook of the narrow model: the temporary table `name` (source_system, key) of the
    records to recompute (rv_written_since_built of `upstream`), whose rows are taken
    out here and logged with sign -1; when every record is recomputed, every row is
    deleted and the build recorded as a rebuild (the counts are then recounted).
    `read`: the model the narrow rows are read from, when it is not `upstream` but
    recomputes upstream's records (int_stage_reaches reads fct_opportunity_stages,
    which records no dropped deal, and follows fct_opportunities, which does): every
    record is recomputed when it was rebuilt since. -#}
{% macro rv_stage_counted_records(upstream, id_column, name, read=none) -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set since = rv_written_since_built(upstream, id_column) -%}
    {%- if read is not none and not since.everything
        and rv_written_since_built(read, id_column).everything -%}
        {%- set since = {'everything': true, 'query': since.all, 'all': since.all} -%}
    {%- endif -%}
    {{ return(adapter.dispatch('rv_stage_counted_records', 'revalign')(since, id_column, name)) }}
{%- endmacro %}

{% macro default__rv_stage_counted_records(since, id_column, name) -%}
    {{ rv_temp_table(name, since.query) }}
    delete from {{ this }}
{%- endmacro %}

{#- Post-hook of the narrow model: log the rows this build wrote with sign +1 (an
    incremental build that did not recompute every record); a full build makes its
    table of changes anew, empty. -#}
{% macro rv_log_counted_rows() -%}
    {{ return(adapter.dispatch('rv_log_counted_rows', 'revalign')()) }}
{%- endmacro %}

{% macro default__rv_log_counted_rows() -%}
    select 1
{%- endmacro %}

{#- {everything, table}: whether the model of counts built now recounts every record of
    `narrow`, and the temporary table of the counts of the cells it changes
    otherwise (`cells` and `measures`, the columns of its rows). -#}
{% macro rv_counted_changes(narrow) -%}
    {{ return(adapter.dispatch('rv_counted_changes', 'revalign')(narrow)) }}
{%- endmacro %}

{% macro default__rv_counted_changes(narrow) -%}
    {{ return({'everything': true, 'table': none}) }}
{%- endmacro %}

{#- Pre-hook of the model of counts: take the changes of `narrow` out, add them to the
    rows of their cells, which are taken out too, into the temporary table the model's
    select reads (rv_counted_changes); every row, and every change, when it recounts
    everything. `measures`: {column: sum over a cell's changes}, each an aggregate of
    `sign` (the net count of a change: +1, -1) and of the columns in `cells` and
    `values`; `values`: the other columns whose change changes a cell (a value a
    median of the cell reads). -#}
{% macro rv_stage_counted_changes(narrow, cells, measures, values=[]) -%}
    {{ return(adapter.dispatch('rv_stage_counted_changes', 'revalign')(narrow, cells, measures, values)) }}
{%- endmacro %}

{% macro default__rv_stage_counted_changes(narrow, cells, measures, values) -%}
    select 1
{%- endmacro %}

{#- The cells of int_scorecard_person_cells (columns of int_scorecard_persons). -#}
{% macro rv_scorecard_cells() -%}
    {{ return([
        'source_system', 'created_month', 'mql_month', 'owner_team', 'persona',
        'sla_status', 'acceptance_status', 'has_opportunity',
    ]) }}
{%- endmacro %}

{#- The cells of int_stage_reach_cells (columns of int_stage_reaches). -#}
{% macro rv_stage_reach_cells() -%}
    {{ return(['source_system', 'month', 'stage_position']) }}
{%- endmacro %}
