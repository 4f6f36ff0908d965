{#- Won amount of each won opportunity with an origin lead, shared among the touches
    of that lead (or its converted contact) strictly before the opportunity was
    created (METRICS.md): first_touch, last_touch and linear. Linear parts are whole
    cents, the leftover cents going to the earliest touches, so that per model the
    sum over campaigns equals the won amount of the touched opportunities exactly. -#}
with won as (
    select
        opportunity_id,
        source_system,
        origin_lead_id,
        created_at,
        round(coalesce(amount, 0) * 100)::bigint as amount_cents
    from {{ ref('fct_opportunities') }}
    where is_won and origin_lead_id is not null
),

-- looked up by key (macros/lookups.sql): the won leads are a small share of all
won_leads as (
    {{ rv_rows_by_key(
        ref('int_leads'), 'lead_id', 'select source_system, origin_lead_id as key from won'
    ) }}
),

campaign_touches_of_won_leads as (
    {{ rv_touches_of_leads('won_leads') }}
),

won_lead_touches as (
    {{ rv_lead_campaign_touches('won_leads', 'campaign_touches_of_won_leads') }}
),

touches as (
    select
        won.opportunity_id,
        won.source_system,
        won.amount_cents,
        touches.campaign_id,
        row_number() over w as touch_number,
        count(*) over (partition by won.source_system, won.opportunity_id) as touches
    from won
    inner join won_lead_touches as touches
        on
            won.source_system = touches.source_system
            and won.origin_lead_id = touches.lead_id
            and won.created_at > touches.touched_at
    window w as (
        partition by won.source_system, won.opportunity_id
        order by touches.touched_at, touches.campaign_id, touches.touch_id
    )
),

credits as (
    select
        source_system,
        campaign_id,
        opportunity_id,
        'first_touch' as attribution_model,
        amount_cents as credit_cents
    from touches
    where touch_number = 1
    union all
    select
        source_system,
        campaign_id,
        opportunity_id,
        'last_touch' as attribution_model,
        amount_cents as credit_cents
    from touches
    where touch_number = touches
    union all
    select
        source_system,
        campaign_id,
        opportunity_id,
        'linear' as attribution_model,
        amount_cents / touches
        + case when touch_number <= amount_cents % touches then 1 else 0 end as credit_cents
    from touches
),

models as (
    select model.attribution_model
    from (values ('first_touch'), ('last_touch'), ('linear')) as model (attribution_model)
)

select
    campaigns.campaign_id,
    campaigns.source_system,
    models.attribution_model,
    count(distinct credits.opportunity_id) as attributed_opportunities,
    (coalesce(sum(credits.credit_cents), 0) / 100.0)::numeric(18, 2) as attributed_amount
from {{ ref('int_campaigns') }} as campaigns
cross join models
left join credits
    on
        campaigns.source_system = credits.source_system
        and campaigns.campaign_id = credits.campaign_id
        and models.attribution_model = credits.attribution_model
group by campaigns.campaign_id, campaigns.source_system, models.attribution_model
