{#- How far the opportunities created in a month got (METRICS.md, The journey): one row
    per source that delivered a stage history (fct_opportunity_stages), month of
    creation and stage of its stage order (int_stage_order). An opportunity reached a
    stage when it entered it, or a later stage that is not lost: a won deal went
    through every open stage, a deal lost from Qualification reached Closed Lost and
    nothing past Qualification. A closed stage is reached only by entering it.
    median_days_to_reach runs from its creation to its first entry at or after the
    stage (in that sense); won counts the won opportunities among those that reached
    it. Each entry names the stages it reached first (reaches_from_position to
    reaches_to_position): int_stage_reaches lists them, int_stage_reach_cells counts
    them per cell. -#}
{{ config(pre_hook="{{ rv_hash_aggregates() }}") }}
with history_sources as (
    select source_system from {{ ref('int_delivered_fields') }}
    where field = 'stage_history.stage_name' and delivered
),

opportunities as (
    select
        source_system,
        {{ rv_month_of('created_at') }} as month
    from {{ ref('fct_opportunities') }}
    where source_system in (select history_sources.source_system from history_sources)
),

stages as (
    select
        source_system,
        stage_name,
        stage_position
    from {{ ref('int_stage_order') }}
    where source_system in (select history_sources.source_system from history_sources)
),

-- each cell's opportunities that reached the stage, how many were won and the median
-- days to reach it: kept up from what changed (int_stage_reach_cells), where summing
-- them here read every entry of every opportunity in every build
reached_cells as (
    select
        source_system,
        month,
        stage_position,
        opportunities_reached,
        median_days_to_reach,
        won
    from {{ ref('int_stage_reach_cells') }}
    where source_system in (select history_sources.source_system from history_sources)
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
