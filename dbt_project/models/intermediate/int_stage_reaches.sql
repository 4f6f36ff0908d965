{#- One narrow row per opportunity and stage it reached, as stage_conversion counts them
    (METRICS.md, The journey): from each entry of fct_opportunity_stages, the stages it
    reached first (reaches_from_position to reaches_to_position; a closed stage only
    by entering it), with the month the opportunity was created in, whether it was won
    and the days from its creation to that entry.

    Incremental per opportunity (macros/rewritten_records.sql): a build recomputes the
    opportunities fct_opportunities wrote or dropped since its last build (those
    fct_opportunity_stages recomputed: a deal gone from there leaves no trace of its
    own), and logs the rows it takes out and writes (macros/counted_cells.sql) for
    int_stage_reach_cells. Indexed by cell, where that model reads the days of the
    cells that changed. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=[{'columns': ['opportunity_id']}, {'columns': ['month', 'stage_position']}],
    pre_hook=[
        "{{ rv_without_jit() }}",
        "{{ rv_record_rebuild() }}",
        "{{ rv_stage_counted_records(ref('fct_opportunities'), 'opportunity_id', 'rv_stage_reaches_written', read=ref('fct_opportunity_stages')) }}",
    ],
    post_hook=[
        "{{ rv_analyze_when_stale() }}",
        "{{ rv_record_written_rows() }}",
        "{{ rv_log_counted_rows() }}",
    ],
) }}

-- the records to recompute, read by the pre-hook (rv_stage_counted_records):
-- depends_on: {{ ref('fct_opportunities') }}
-- Each entry's stages are a set-returning function in its own select list, then joined
-- by key: a lateral function scan per entry took twice as long.
select
    entries.source_system,
    entries.opportunity_id,
    entries.month,
    entries.stage_position,
    entries.is_won,
    entries.days_to_reach
from (
    select
        source_system,
        opportunity_id,
        {{ rv_month_of('opportunity_created_at') }} as month,
        generate_series(reaches_from_position, reaches_to_position) as stage_position,
        stage_position as entered_position,
        opportunity_is_won as is_won,
        -- as percentile_cont reads it (a double)
        (extract(epoch from entered_at - opportunity_created_at) / 86400)::double precision
            as days_to_reach
    from {{ ref('fct_opportunity_stages') }}
    where
        reaches_from_position is not null
        {%- if is_incremental() %}
            and (source_system, opportunity_id) in (
                select
                    written.source_system,
                    written.key
                from rv_stage_reaches_written as written
            )
        {%- endif %}
) as entries
inner join {{ ref('int_stage_order') }} as stages
    on
        entries.source_system = stages.source_system
        and entries.stage_position = stages.stage_position
where not stages.is_closed or entries.stage_position = entries.entered_position
