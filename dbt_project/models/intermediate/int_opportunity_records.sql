{#- Opportunities of every source in one shape (int_opportunities adds their origin
    person). closed_at: Salesforce's CloseDate at midnight UTC, Olist's
    won_date (METRICS.md). -#}
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
select * from olist
