{#- The opportunities of int_stage_reaches per cell of stage_conversion (source, month
    created, stage): how many reached the stage, how many of those were won, and the
    median days from creation to reaching it.

    Incremental, kept up from what changed (macros/counted_cells.sql): a build adds to
    the counts of the cells the rows int_stage_reaches took out (-1) and wrote (+1)
    since, where one did not cancel the other, and takes the median of those cells
    again from their rows there (by its index on month and stage); every cell is
    counted again when that model was rebuilt since, or this one is built in full. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=[
        "{{ rv_without_jit() }}",
        "{{ rv_record_rebuild() }}",
        "{{ rv_stage_counted_changes(ref('int_stage_reaches'), rv_stage_reach_cells(),
            {'opportunities_reached': 'sum(sign)', 'won': 'sum(sign) filter (where is_won)'},
            values=['is_won', 'days_to_reach']) }}",
        "{{ rv_hash_aggregates() }}",
    ],
    post_hook=["{{ rv_analyze_when_stale() }}", "{{ rv_record_written_rows() }}"],
) }}
{%- set counted = rv_counted_changes(ref('int_stage_reaches')) %}

{%- if counted.everything %}
    -- Hashed by cell (a few hundred), each cell's days kept in an array and its median
    -- taken from that array: percentile_cont over the cells would sort every reached
    -- stage first. The pre-hook turns sorting off, or the planner, which guesses
    -- millions of cells, sorts anyway.
    select
        source_system,
        month,
        stage_position,
        count(*)::bigint as opportunities_reached,
        count(*) filter (where is_won)::bigint as won,
        (
            select percentile_cont(0.5) within group (order by cell.days_to_reach)
            from unnest(array_agg(days_to_reach)) as cell (days_to_reach)
        ) as median_days_to_reach
    from {{ ref('int_stage_reaches') }}
    group by source_system, month, stage_position
{%- else %}
    with counted as (
        select
            source_system,
            month,
            stage_position,
            sum(opportunities_reached)::bigint as opportunities_reached,
            sum(won)::bigint as won
        from {{ counted.table }}
        group by source_system, month, stage_position
        having sum(opportunities_reached) != 0
    )

    select
        counted.*,
        (
            select percentile_cont(0.5) within group (order by reaches.days_to_reach)
            from {{ ref('int_stage_reaches') }} as reaches
            where
                reaches.source_system = counted.source_system
                and reaches.month = counted.month
                and reaches.stage_position = counted.stage_position
        ) as median_days_to_reach
    from counted
{%- endif %}
