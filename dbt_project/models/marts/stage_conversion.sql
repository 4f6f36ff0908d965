{#- How far the opportunities created in a month got (METRICS.md, The journey): one row
    per source that delivered a stage history (fct_opportunity_stages), month of
    creation and stage of its stage order (int_stage_order). An opportunity reached a
    stage when it entered it, or a later stage that is not lost: a won deal went
    through every open stage, a deal lost from Qualification reached Closed Lost and
    nothing past Qualification. A closed stage is reached only by entering it.
    median_days_to_reach runs from its creation to its first entry at or after the
    stage (in that sense); won counts the won opportunities among those that reached
    it. Each entry names the stages it reached first (reaches_from_position to
    reaches_to_position): this sums them, reading each entry once. -#}
{{ config(pre_hook="{{ rv_hash_aggregates() }}") }}
with history_sources as (
    select source_system from {{ ref('int_delivered_fields') }}
    where field = 'stage_history.stage_name' and delivered
),

opportunities as not materialized (
    select
        source_system,
        opportunity_id,
        created_at,
        is_won,
        {{ rv_month_of('created_at') }} as month
    from {{ ref('fct_opportunities') }}
    where source_system in (select history_sources.source_system from history_sources)
),

stages as (
    select
        source_system,
        stage_name,
        stage_position,
        is_closed
    from {{ ref('int_stage_order') }}
    where source_system in (select history_sources.source_system from history_sources)
),

-- each opportunity and stage it reached, when (days from its creation to the entry
-- that first reached it); a closed stage only by entering it. One pass over the
-- entries, which carry their opportunity's creation and outcome: joined to every
-- opportunity, it was looked up opportunity by opportunity (1.2 million index scans
-- at five million leads). Each entry's stages are a set-returning function in its own
-- select list, then joined by key: a lateral function scan per entry took twice as long.
reached as (
    select
        entries.source_system,
        entries.month,
        entries.stage_position,
        entries.is_won,
        entries.days_to_reach
    from (
        select
            source_system,
            {{ rv_month_of('opportunity_created_at') }} as month,
            generate_series(reaches_from_position, reaches_to_position) as stage_position,
            stage_position as entered_position,
            opportunity_is_won as is_won,
            extract(epoch from entered_at - opportunity_created_at) / 86400 as days_to_reach
        from {{ ref('fct_opportunity_stages') }}
        where reaches_from_position is not null
    ) as entries
    inner join stages
        on
            entries.source_system = stages.source_system
            and entries.stage_position = stages.stage_position
    where not stages.is_closed or entries.stage_position = entries.entered_position
),

-- Hashed by cell (a few hundred), each cell's days kept in an array and its median
-- taken from that array: percentile_cont over the cells would sort every reached
-- stage first (seven million at five million leads, on disk). The pre-hook turns
-- sorting off, or the planner, which guesses millions of cells, sorts anyway.
reached_cells as (
    select
        source_system,
        month,
        stage_position,
        count(*) as opportunities_reached,
        (
            select percentile_cont(0.5) within group (order by cell.days_to_reach)
            from unnest(array_agg(days_to_reach)) as cell (days_to_reach)
        ) as median_days_to_reach,
        count(*) filter (where is_won) as won
    from reached
    group by source_system, month, stage_position
),

created as (
    select
        source_system,
        month,
        count(*) as opportunities_created
    from opportunities
    group by source_system, month
)

select
    created.month,
    created.source_system,
    stages.stage_name,
    stages.stage_position,
    created.opportunities_created,
    coalesce(reached_cells.opportunities_reached, 0) as opportunities_reached,
    round(
        coalesce(reached_cells.opportunities_reached, 0)::numeric
        / nullif(created.opportunities_created, 0),
        4
    )::numeric(8, 4) as share_of_created,
    round(reached_cells.median_days_to_reach::numeric, 4)::numeric(12, 4) as median_days_to_reach,
    coalesce(reached_cells.won, 0) as won
from created
inner join stages on created.source_system = stages.source_system
left join reached_cells
    on
        created.source_system = reached_cells.source_system
        and created.month = reached_cells.month
        and stages.stage_position = reached_cells.stage_position
