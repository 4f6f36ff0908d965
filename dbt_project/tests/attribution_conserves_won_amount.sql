{#- METRICS.md: per attribution model, the attributed amounts over all campaigns sum
    exactly to the won amount of the opportunities that model credits: for the touch
    models, those with at least one touch of their people before they were created
    (the marketing-influenced won opportunities); for primary_campaign, those with a
    Primary Campaign Source. Returns the models that do not. -#}
with attributed as (
    select
        attribution_model,
        sum(attributed_amount) as attributed_amount
    from {{ ref('campaign_attribution') }}
    group by attribution_model
),

credited as (
    select
        models.attribution_model,
        coalesce(sum(round(coalesce(opportunities.amount, 0), 2)), 0) as won_amount
    from (
        values
        ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('time_decay'),
        ('primary_campaign')
    ) as models (attribution_model)
    left join {{ ref('fct_opportunities') }} as opportunities
        on
            opportunities.is_won
            and case
                -- a Primary Campaign Source, delivered or not (campaign_delivered)
                when models.attribution_model = 'primary_campaign'
                    then opportunities.primary_campaign_id is not null
                else opportunities.is_marketing_influenced
            end
    group by models.attribution_model
)

select
    attributed.attribution_model,
    attributed.attributed_amount,
    credited.won_amount
from attributed
inner join credited on attributed.attribution_model = credited.attribution_model
where attributed.attributed_amount != credited.won_amount
