{#- One row per stage entry of each current opportunity (METRICS.md, The journey): it
    enters its stage at creation (the first history row's stage, else its current
    one) at created_at, then a stage at every history row whose stage differs from
    the row before (rows in changed_at order, then change id: int_opportunity_changes).
    It leaves at the next entry. Only sources that delivered a stage history
    (int_delivered_fields, stage_history.stage_name): a source without one has no rows,
    and the build says so. Incremental per opportunity: a build recomputes the
    opportunities fct_opportunities wrote or dropped since this model's last build
    (rv_stage_opportunities_written): that mart rewrites a deal whenever a new history
    row, touch, role or change of its people can change its entries.
    reaches_from_position and reaches_to_position: the stages (positions in the
    source's stage order) the entry reached first, as stage_conversion reads them
    (METRICS.md: a stage is reached by entering it or one after it). An entry that
    is not a lost stage reaches the open stages up to its own that no earlier entry
    reached; a closed stage is reached only by entering it. Kept here, per
    opportunity, so that stage_conversion sums them without reading every
    opportunity's entries again; so are the opportunity's creation and outcome
    (opportunity_created_at, opportunity_is_won), so that it reads this table alone. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=[{'columns': ['opportunity_id']}],
    pre_hook=[
        "{{ rv_stage_opportunities_written(ref('fct_opportunities')) }}",
        "{{ rv_without_nested_loops() }}",
    ],
) }}

-- read by the pre-hook (rv_stage_opportunities_written), which also deletes the rows of
-- every opportunity the build recomputes (so they are appended):
-- depends_on: {{ ref('fct_opportunities') }}
{%- set rows = rv_opportunity_rows() %}

with opportunities as (
    select opportunities.*
    from {{ rows.opportunities }} as opportunities
    inner join {{ ref('int_delivered_fields') }} as history_field
        on
            opportunities.source_system = history_field.source_system
            and history_field.field = 'stage_history.stage_name'
            and history_field.delivered
),

history as (
    select
        changes.source_system,
        changes.opportunity_id,
        changes.changed_at,
        changes.stage_name,
        lag(changes.stage_name) over w as previous_stage_name,
        row_number() over w as row_number
    from {{ rows.changes }} as changes
    where
        changes.stage_name is not null
        and changes.opportunity_id in (select opportunities.opportunity_id from opportunities)
    window w as (
        partition by changes.source_system, changes.opportunity_id
        order by changes.changed_at, changes.change_id
    )
),

entries as (
    -- its stage at creation
    select
        opportunities.source_system,
        opportunities.opportunity_id,
        coalesce(first_row.stage_name, opportunities.stage_name) as stage_name,
        opportunities.created_at as entered_at,
        0 as row_number
    from opportunities
    left join history as first_row
        on
            opportunities.source_system = first_row.source_system
            and opportunities.opportunity_id = first_row.opportunity_id
            and first_row.row_number = 1
    union all
    -- a history row that changed the stage (a repeated stage is no new entry)
    select
        source_system,
        opportunity_id,
        stage_name,
        changed_at as entered_at,
        row_number
    from history
    where row_number > 1 and stage_name is distinct from previous_stage_name
),

stays as (
    select
        source_system,
        opportunity_id,
        stage_name,
        entered_at,
        row_number() over w as entry_number,
        lead(entered_at) over w as exited_at
    from entries
    where stage_name is not null
    window w as (partition by source_system, opportunity_id order by row_number)
),

origin_leads as (
    select leads.*
    from {{ rows.leads }} as leads
    where leads.lead_id in (select opportunities.origin_lead_id from opportunities)
),

people as (
    {{ rv_opportunity_people('opportunities', 'origin_leads', rows.roles) }}
),

-- each person's touches joined to the person on their own (rv_people_touches)
opportunity_touches as (
    {{ rv_people_touches('people', rows.touches) }}
),

-- the campaign touches of its people while it was in the stage
stage_touches as (
    select
        stays.source_system,
        stays.opportunity_id,
        stays.entry_number,
        count(distinct opportunity_touches.touch_id) as touches_during_stage
    from stays
    inner join opportunity_touches
        on
            stays.source_system = opportunity_touches.source_system
            and stays.opportunity_id = opportunity_touches.opportunity_id
    where
        opportunity_touches.touched_at >= stays.entered_at
        and (stays.exited_at is null or opportunity_touches.touched_at < stays.exited_at)
    group by stays.source_system, stays.opportunity_id, stays.entry_number
),

positioned as (
    select
        stays.*,
        stage_order.stage_position,
        coalesce(stage_order.is_closed, false) as is_closed,
        coalesce(stage_order.is_closed and not stage_order.is_won, false) as is_lost,
        row_number() over (
            partition by stays.source_system, stays.opportunity_id, stays.stage_name
            order by stays.entry_number
        ) = 1 as is_first_entry
    from stays
    left join {{ ref('int_stage_order') }} as stage_order
        on
            stays.source_system = stage_order.source_system
            and stays.stage_name = stage_order.stage_name
),

-- the highest stage reached before, by an entry that was not a lost stage
reaching as (
    select
        *,
        coalesce(
            max(stage_position) filter (where not is_lost) over (
                partition by source_system, opportunity_id
                order by entry_number rows between unbounded preceding and 1 preceding
            ),
            0
        ) as reached_before
    from positioned
)

select
    reaching.opportunity_id,
    reaching.source_system,
    reaching.entry_number,
    reaching.stage_name,
    reaching.stage_position,
    reaching.entered_at,
    reaching.exited_at,
    (extract(epoch from reaching.exited_at - reaching.entered_at) / 86400)::numeric(12, 6)
        as days_in_stage,
    reaching.exited_at is null as is_current,
    coalesce(stage_touches.touches_during_stage, 0) as touches_during_stage,
    opportunities.created_at as opportunity_created_at,
    opportunities.is_won as opportunity_is_won,
    case
        when not reaching.is_lost and reaching.stage_position > reaching.reached_before
            then reaching.reached_before + 1
        when reaching.is_closed and reaching.is_first_entry then reaching.stage_position
    end as reaches_from_position,
    case
        when not reaching.is_lost and reaching.stage_position > reaching.reached_before
            then reaching.stage_position
        when reaching.is_closed and reaching.is_first_entry then reaching.stage_position
    end as reaches_to_position
from reaching
-- the staged rows, not the CTE over them: a materialized CTE has no statistics, and a
-- nested loop over it scanned every opportunity for each entry
inner join {{ rows.opportunities }} as opportunities
    on
        reaching.source_system = opportunities.source_system
        and reaching.opportunity_id = opportunities.opportunity_id
left join stage_touches
    on
        reaching.source_system = stage_touches.source_system
        and reaching.opportunity_id = stage_touches.opportunity_id
        and reaching.entry_number = stage_touches.entry_number
