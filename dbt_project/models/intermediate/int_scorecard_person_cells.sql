{#- The persons of the funnel counted per cell of alignment_scorecard's person figures:
    source, month created, MQL month, owner's team, persona, SLA status, acceptance
    status and whether they have an opportunity (a few thousand cells for millions of
    persons).

    Incremental, kept up from what changed (macros/counted_cells.sql): a build adds to
    the cells the persons int_scorecard_persons took out (-1) and wrote (+1) since, and
    keeps the cells whose count is not 0; every person is counted again when that model
    was rebuilt since, or this one is built in full. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=[
        "{{ rv_without_jit() }}",
        "{{ rv_record_rebuild() }}",
        "{{ rv_stage_counted_changes(ref('int_scorecard_persons'), rv_scorecard_cells(), {'persons': 'sum(sign)'}) }}",
    ],
    post_hook=["{{ rv_analyze_when_stale() }}", "{{ rv_record_written_rows() }}"],
) }}
{%- set counted = rv_counted_changes(ref('int_scorecard_persons')) %}

{%- if counted.everything %}
    select
        {{ rv_scorecard_cells() | join(',\n    ') }},
        count(*)::bigint as persons
    from {{ ref('int_scorecard_persons') }}
    group by {{ rv_scorecard_cells() | join(', ') }}
{%- else %}
    select
        {{ rv_scorecard_cells() | join(',\n    ') }},
        sum(persons)::bigint as persons
    from {{ counted.table }}
    group by {{ rv_scorecard_cells() | join(', ') }}
    having sum(persons) != 0
{%- endif %}
