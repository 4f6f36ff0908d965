{#- Each campaign's credit under each attribution model (METRICS.md, Campaigns and
    attribution): the sum of the won opportunities' credits to it
    (fct_attribution_credits, where the models are computed, deal by deal). Per model,
    the sum over campaigns equals the won amount of the opportunities it credits, to
    the cent. Every campaign of the warehouse has a row per model (0 when nothing was
    credited to it); so has a campaign that touches or a Primary Campaign Source name
    but whose Campaign record was not delivered (campaign_delivered false: its credit
    is kept, not dropped, and every build names it). -#}
with credited as (
    select
        source_system,
        campaign_id,
        attribution_model,
        -- a deal credits a campaign once per model (one row), so rows count deals
        count(*) as attributed_opportunities,
        sum(credit_amount) as attributed_amount
    from {{ ref('fct_attribution_credits') }}
    group by source_system, campaign_id, attribution_model
),

campaigns as (
    select
        campaign_id,
        source_system,
        true as campaign_delivered
    from {{ ref('int_campaigns') }}
    union all
    select distinct
        credited.campaign_id,
        credited.source_system,
        false as campaign_delivered
    from credited
    left join {{ ref('int_campaigns') }} as delivered
        on
            credited.source_system = delivered.source_system
            and credited.campaign_id = delivered.campaign_id
    where delivered.campaign_id is null
),

models as (
    select model.attribution_model
    from (
        values
        ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('time_decay'),
        ('primary_campaign')
    ) as model (attribution_model)
)

select
    campaigns.campaign_id,
    campaigns.source_system,
    models.attribution_model,
    coalesce(credited.attributed_opportunities, 0) as attributed_opportunities,
    coalesce(credited.attributed_amount, 0)::numeric(18, 2) as attributed_amount,
    campaigns.campaign_delivered
from campaigns
cross join models
left join credited
    on
        campaigns.source_system = credited.source_system
        and campaigns.campaign_id = credited.campaign_id
        and models.attribution_model = credited.attribution_model
