{#- How far the opportunities created in a month got (METRICS.md, The journey): one row
    per source that delivered a stage history (fct_opportunity_stages), month of creation and stage of its
    stage order (int_stage_order). An opportunity reached a stage when it entered it,
    or a later stage that is not lost: a won deal went through every open stage, a
    deal lost from Qualification reached Closed Lost and nothing past Qualification. A
    closed stage is reached only by entering it. median_days_to_reach runs from its
    creation to its first entry at or after the stage (in that sense); won counts the
    won opportunities among those that reached it. -#}
with opportunities as (
    select
        source_system,
        opportunity_id,
        created_at,
        is_won,
        {{ rv_month_of('created_at') }} as month
    from {{ ref('fct_opportunities') }}
    where source_system in (
        select source_system from {{ ref('int_delivered_fields') }}
        where field = 'stage_history.stage_name' and delivered
    )
),

stages as (
    select
        source_system,
        stage_name,
        stage_position,
        is_closed,
        is_won
    from {{ ref('int_stage_order') }}
    where source_system in (select source_system from opportunities)
),

-- what each entry reaches: its own stage, and when it is not a lost stage, every open
-- stage before it
entries as (
    select
        entries.source_system,
        entries.opportunity_id,
        entries.stage_name,
        entries.stage_position,
        entries.entered_at,
        coalesce(entered.is_closed and not entered.is_won, false) as is_lost
    from {{ ref('fct_opportunity_stages') }} as entries
    left join stages as entered
        on
            entries.source_system = entered.source_system
            and entries.stage_name = entered.stage_name
),

reached as (
    select
        entries.source_system,
        entries.opportunity_id,
        stages.stage_name,
        min(entries.entered_at) as reached_at
    from entries
    inner join stages
        on
            entries.source_system = stages.source_system
            and (
                entries.stage_name = stages.stage_name
                or (
                    not stages.is_closed
                    and not entries.is_lost
                    and entries.stage_position > stages.stage_position
                )
            )
    group by entries.source_system, entries.opportunity_id, stages.stage_name
),

cells as (
    select
        opportunities.source_system,
        opportunities.month,
        stages.stage_name,
        stages.stage_position,
        count(*) as opportunities_created,
        count(reached.reached_at) as opportunities_reached,
        percentile_cont(0.5) within group (
            order by extract(epoch from reached.reached_at - opportunities.created_at) / 86400
        ) as median_days_to_reach,
        count(*) filter (where reached.reached_at is not null and opportunities.is_won) as won
    from opportunities
    inner join stages on opportunities.source_system = stages.source_system
    left join reached
        on
            opportunities.source_system = reached.source_system
            and opportunities.opportunity_id = reached.opportunity_id
            and stages.stage_name = reached.stage_name
    group by opportunities.source_system, opportunities.month, stages.stage_name, stages.stage_position
)

select
    month,
    source_system,
    stage_name,
    stage_position,
    opportunities_created,
    opportunities_reached,
    round(opportunities_reached::numeric / nullif(opportunities_created, 0), 4)::numeric(8, 4)
        as share_of_created,
    round(median_days_to_reach::numeric, 4)::numeric(12, 4) as median_days_to_reach,
    won
from cells
