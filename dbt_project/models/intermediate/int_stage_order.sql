{{ config(materialized='table', post_hook='analyze {{ this }}') }}
{#- The stage order of each source (METRICS.md, CRM hygiene rules): an org that
    delivered its OpportunityStage extract has its own (active stages by SortOrder,
    with their closed and won meaning); HubSpot has its deal pipelines' stages
    (int_hubspot_deal_stages); every other source has the seed stage_order,
    Salesforce's standard stages. needs_amount: the stage is at or past the one from
    which an open opportunity needs an amount (amount_required_from_stage, named by the
    setting amount_required_setting; null when the source's stage order has no such
    stage, which the build's notes say). One row per source and stage. A small table, analysed:
    joined to every opportunity, a view's guessed size made PostgreSQL sort them all. -#}
with delivered as (
    select
        'salesforce' as source_system,
        stage_name,
        row_number() over (order by sort_order nulls last, stage_name) as stage_position,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won
    from {{ ref('stg_salesforce__opportunity_stages') }}
    where {{ rv_readable() }} and coalesce(is_active, true) and stage_name is not null
),

-- HubSpot's: its deal pipelines (int_hubspot_deal_stages); a label two pipelines
-- share takes its first place
hubspot as (
    select distinct on (stage_label)
        'hubspot' as source_system,
        stage_label as stage_name,
        stage_position,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won
    from {{ ref('int_hubspot_deal_stages') }}
    order by stage_label, stage_position
),

delivered_or_own as (
    select * from delivered
    union all
    select * from hubspot
),

sources as (
    select distinct source as source_system from {{ source('ops', 'delivered_fields') }}
),

orders as (
    select * from delivered_or_own
    union all
    select
        sources.source_system,
        seed.stage_name,
        seed.stage_position,
        seed.is_closed,
        seed.is_won
    from sources
    cross join {{ ref('stage_order') }} as seed
    where sources.source_system not in (select own.source_system from delivered_or_own as own)
),

-- the stage from which an open opportunity needs an amount, and the setting that names
-- it: amount_required_from_stage, or HubSpot's hubspot_amount_required_from_stage (its
-- stages are its pipelines')
amount_settings as (
    select
        sources.source_system,
        case
            when sources.source_system = 'hubspot' then 'hubspot_amount_required_from_stage'
            else 'amount_required_from_stage'
        end as amount_required_setting,
        case
            when sources.source_system = 'hubspot'
                then {{ rv_text_list([var('hubspot_amount_required_from_stage')]) }}
            else {{ rv_text_list([var('amount_required_from_stage')]) }}
        end as amount_required_from_stage
    from (select distinct source_system from orders) as sources
),

amount_required_from as (
    select
        amount_settings.*,
        orders.stage_position
    from amount_settings
    left join orders
        on
            amount_settings.source_system = orders.source_system
            and amount_settings.amount_required_from_stage = orders.stage_name
)

select
    orders.*,
    orders.stage_position >= required.stage_position as needs_amount,
    required.amount_required_from_stage,
    required.amount_required_setting
from orders
inner join amount_required_from as required on orders.source_system = required.source_system
