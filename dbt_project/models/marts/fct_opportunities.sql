{#- One row per current opportunity (METRICS.md): sourcing, influence, cycle, the
    last time anyone touched it. -#}
with opportunities as (
    select * from {{ ref('int_opportunities') }}
),

origin_leads as (
    select
        lead_id,
        source_system,
        mql_at
    from {{ ref('int_leads') }}
),

influence as (
    select
        opportunities.source_system,
        opportunities.opportunity_id,
        count(*) as touches_before_creation
    from opportunities
    inner join {{ ref('int_lead_campaign_touches') }} as touches
        on
            opportunities.source_system = touches.source_system
            and opportunities.origin_lead_id = touches.lead_id
            and touches.touched_at < opportunities.created_at
    group by opportunities.source_system, opportunities.opportunity_id
),

touch_moments as (
    select
        source_system,
        what_id as opportunity_id,
        created_at as touched_at
    from {{ ref('int_activities') }}
    where what_id is not null
    union all
    select
        source_system,
        opportunity_id,
        changed_at as touched_at
    from {{ ref('int_opportunity_changes') }}
),

last_touches as (
    select
        source_system,
        opportunity_id,
        max(touched_at) as touched_at
    from touch_moments
    group by source_system, opportunity_id
)

select
    opportunities.opportunity_id,
    opportunities.source_system,
    opportunities.account_id,
    opportunities.owner_id,
    owners.team as owner_team,
    opportunities.origin_lead_id,
    opportunities.lead_source,
    opportunities.stage_name,
    opportunities.amount,
    opportunities.created_at,
    opportunities.close_date,
    opportunities.closed_at,
    opportunities.is_closed,
    opportunities.is_won,
    origin_leads.mql_at is not null as is_marketing_sourced,
    influence.opportunity_id is not null as is_marketing_influenced,
    case
        when opportunities.is_closed
            then (opportunities.closed_at at time zone 'UTC')::date
            - (opportunities.created_at at time zone 'UTC')::date
    end as sales_cycle_days,
    opportunities.win_loss_reason,
    opportunities.reason_delivered,
    greatest(
        opportunities.created_at, opportunities.last_activity_at, last_touches.touched_at
    ) as last_touched_at
from opportunities
left join origin_leads
    on
        opportunities.source_system = origin_leads.source_system
        and opportunities.origin_lead_id = origin_leads.lead_id
left join influence
    on
        opportunities.source_system = influence.source_system
        and opportunities.opportunity_id = influence.opportunity_id
left join last_touches
    on
        opportunities.source_system = last_touches.source_system
        and opportunities.opportunity_id = last_touches.opportunity_id
left join {{ ref('int_users') }} as owners
    on opportunities.source_system = owners.source_system and opportunities.owner_id = owners.user_id
