{#- Won amount of each won opportunity shared among the campaign touches of its people
    (origin lead, its converted contact, every contact with a role on it) strictly
    before the opportunity was created (METRICS.md): first_touch, last_touch and
    linear; and primary_campaign, all of it to the opportunity's Primary Campaign
    Source, touched or not. Linear parts are whole cents, the leftover cents going to
    the earliest touches, so that per model the sum over campaigns equals the won
    amount of the opportunities it credits exactly. -#}
with won as (
    select
        opportunity_id,
        source_system,
        origin_lead_id,
        primary_campaign_id,
        created_at,
        round(coalesce(amount, 0) * 100)::bigint as amount_cents
    from {{ ref('fct_opportunities') }}
    where is_won
),

-- looked up by key (macros/lookups.sql): the won deals' people are a small share of all
won_leads as (
    {{ rv_rows_by_key(
        ref('int_leads'), 'lead_id',
        'select source_system, origin_lead_id as key from won where origin_lead_id is not null'
    ) }}
),

won_roles as (
    {{ rv_rows_by_key(
        ref('int_contact_roles'), 'opportunity_id', 'select source_system, opportunity_id as key from won'
    ) }}
),

won_people as (
    {{ rv_opportunity_people('won', 'won_leads', 'won_roles') }}
),

campaign_touches_of_won_people as (
    {{ rv_touches_of_people('select source_system, person_id as key from won_people') }}
),

won_touches as (
    {{ rv_opportunity_touches('won', 'won_people', 'campaign_touches_of_won_people') }}
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
    inner join won_touches as touches
        on
            won.source_system = touches.source_system
            and won.opportunity_id = touches.opportunity_id
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
    union all
    select
        source_system,
        primary_campaign_id as campaign_id,
        opportunity_id,
        'primary_campaign' as attribution_model,
        amount_cents as credit_cents
    from won
    where primary_campaign_id is not null
),

models as (
    select model.attribution_model
    from (
        values ('first_touch'), ('last_touch'), ('linear'), ('primary_campaign')
    ) as model (attribution_model)
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
