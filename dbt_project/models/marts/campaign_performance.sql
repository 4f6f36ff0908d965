{#- One row per campaign (METRICS.md, Campaigns). leads, mqls, opportunities and
    pipeline_amount count the leads whose first touch was this campaign (and their
    MQLs and opportunities); won_amount is the linear-attributed won amount, the one
    roi uses. mqls is null for a campaign of a source that never delivered an MQL
    date. -#}
with sourced as (
    select
        funnel.source_system,
        funnel.first_campaign_id as campaign_id,
        count(*) as leads,
        count(funnel.mql_at) as mqls,
        count(opportunities.opportunity_id) as opportunities,
        coalesce(sum(opportunities.amount), 0) as pipeline_amount
    from {{ ref('fct_lead_funnel') }} as funnel
    left join {{ ref('fct_opportunities') }} as opportunities
        on
            funnel.source_system = opportunities.source_system
            and funnel.opportunity_id = opportunities.opportunity_id
    where funnel.first_campaign_id is not null
    group by funnel.source_system, funnel.first_campaign_id
),

members as (
    select
        source_system,
        campaign_id,
        count(*) as members
    from {{ ref('int_campaign_touches') }}
    group by source_system, campaign_id
),

linear as (
    select
        source_system,
        campaign_id,
        attributed_amount
    from {{ ref('campaign_attribution') }}
    where attribution_model = 'linear'
),

-- whether each source delivered an MQL date, a lead's or a contact's (some sources' persons
-- are all contacts)
mql_delivery as (
    select
        source_system,
        bool_or(delivered) as delivered
    from {{ ref('int_delivered_fields') }}
    where field in ('lead.mql_at', 'contact.mql_at')
    group by source_system
),

figures as (
    select
        campaigns.campaign_id,
        campaigns.source_system,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.actual_cost,
        coalesce(members.members, 0) as members,
        coalesce(sourced.leads, 0) as leads,
        case
            when coalesce(mql_field.delivered, true) then coalesce(sourced.mqls, 0)
        end as mqls,
        coalesce(sourced.opportunities, 0) as opportunities,
        coalesce(sourced.pipeline_amount, 0) as pipeline_amount,
        coalesce(linear.attributed_amount, 0) as won_amount
    from {{ ref('int_campaigns') }} as campaigns
    left join members
        on
            campaigns.source_system = members.source_system
            and campaigns.campaign_id = members.campaign_id
    left join sourced
        on
            campaigns.source_system = sourced.source_system
            and campaigns.campaign_id = sourced.campaign_id
    left join linear
        on
            campaigns.source_system = linear.source_system
            and campaigns.campaign_id = linear.campaign_id
    left join mql_delivery as mql_field
        on campaigns.source_system = mql_field.source_system
)

select
    *,
    round(actual_cost / nullif(leads, 0), 2) as cost_per_lead,
    round(actual_cost / nullif(opportunities, 0), 2) as cost_per_opportunity,
    round((won_amount - actual_cost) / nullif(actual_cost, 0), 4) as roi
from figures
