{#- Opportunities of every source in one shape (int_opportunities adds their origin
    person). closed_at: Salesforce's CloseDate at midnight UTC, HubSpot's closedate,
    Olist's won_date (METRICS.md). -#}
with salesforce as (
    select
        opportunities.opportunity_id,
        'salesforce' as source_system,
        opportunities.account_id,
        {{ rv_owner_id('opportunities.owner_id', 'opportunities.owner_name') }} as owner_id,
        nullif(trim(opportunities.lead_source), '') as lead_source,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.created_at,
        opportunities.close_date,
        case
            when opportunities.is_closed
                then {{ rv_midnight_utc('opportunities.close_date') }}
        end as closed_at,
        opportunities.is_closed,
        opportunities.is_won,
        nullif(trim(opportunities.win_loss_reason), '') as win_loss_reason,
        true as reason_delivered,
        {{ rv_midnight_utc('opportunities.last_activity_date') }} as last_activity_at,
        opportunities.primary_campaign_id
    from {{ ref('stg_salesforce__opportunities') }} as opportunities
    where {{ rv_readable('opportunities') }}
),

-- HubSpot deals: the stage resolved through the pipelines (int_hubspot_deal_stages),
-- by id or, in HubSpot's own export, by label, in the deal's pipeline first; an
-- unknown stage leaves closed and won unknown. closedate is a moment, kept as it is;
-- the reason is the won or the lost one, as the deal ended.
hubspot as (
    select
        deals.opportunity_id,
        'hubspot' as source_system,
        deals.account_id,
        {{ rv_owner_id('deals.owner_id', 'deals.owner_name', "'hubspot'") }} as owner_id,
        nullif(trim(deals.lead_source), '') as lead_source,
        coalesce(stage.stage_label, deals.deal_stage) as stage_name,
        deals.amount,
        deals.created_at,
        (deals.close_at at time zone 'UTC')::date as close_date,
        case when stage.is_closed then deals.close_at end as closed_at,
        stage.is_closed,
        stage.is_won,
        nullif(trim(case
            when stage.is_won then deals.closed_won_reason
            when stage.is_closed then deals.closed_lost_reason
        end), '') as win_loss_reason,
        true as reason_delivered,
        deals.last_activity_at,
        deals.primary_campaign_id
    from {{ ref('stg_hubspot__deals') }} as deals
    left join lateral (
        select
            stages.stage_label,
            stages.is_closed,
            stages.is_won
        from {{ ref('int_hubspot_deal_stages') }} as stages
        where deals.deal_stage in (stages.stage_id, stages.stage_label)
        order by
            deals.pipeline in (stages.pipeline_id, stages.pipeline_label) desc nulls last,
            deals.deal_stage = stages.stage_id desc,
            stages.stage_position
        limit 1
    ) as stage on true
    where {{ rv_readable('deals') }}
),

olist as (
    select
        deals.mql_id as opportunity_id,
        'olist' as source_system,
        deals.seller_id as account_id,
        deals.sr_id as owner_id,
        mqls.origin as lead_source,
        'Closed Won' as stage_name,
        deals.declared_monthly_revenue as amount,
        deals.won_at as created_at,
        (deals.won_at at time zone 'UTC')::date as close_date,
        deals.won_at as closed_at,
        true as is_closed,
        true as is_won,
        null::text as win_loss_reason,
        false as reason_delivered,
        null::timestamptz as last_activity_at,
        null::text as primary_campaign_id
    from {{ ref('stg_olist__closed_deals') }} as deals
    left join {{ ref('stg_olist__mqls') }} as mqls
        on deals.mql_id = mqls.mql_id and {{ rv_readable('mqls') }}
    where {{ rv_readable('deals') }}
)

select * from salesforce
union all
select * from hubspot
union all
select * from olist
