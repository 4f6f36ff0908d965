{#- METRICS.md: per attribution model, the attributed amounts over all campaigns sum
    exactly to the won amount of the opportunities with at least one touch before
    they were created (the marketing-influenced won opportunities with an origin
    lead). Returns the models that do not. -#}
with attributed as (
    select
        attribution_model,
        sum(attributed_amount) as attributed_amount
    from {{ ref('campaign_attribution') }}
    group by attribution_model
),

touched as (
    select coalesce(sum(round(coalesce(amount, 0), 2)), 0) as won_amount
    from {{ ref('fct_opportunities') }}
    where is_won and is_marketing_influenced and origin_lead_id is not null
)

select
    attributed.attribution_model,
    attributed.attributed_amount,
    touched.won_amount
from attributed
cross join touched
where attributed.attributed_amount != touched.won_amount
