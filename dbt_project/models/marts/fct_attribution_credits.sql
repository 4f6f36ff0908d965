{#- Each won opportunity's credit to each campaign under each attribution model
    (METRICS.md, Campaigns and attribution): its won amount shared among the campaign
    touches of its people (origin lead, its converted contact, every contact with a
    role on it) strictly before the opportunity was created: first_touch, last_touch,
    linear, position_based (position_first_share to the first, position_last_share to
    the last, the rest evenly between; one touch all, two half each) and time_decay
    (weights 2^(-days before creation / time_decay_half_life_days), normalised); and
    primary_campaign, all of it to the opportunity's Primary Campaign Source, touched
    or not. A touch's part is its share of the amount in whole cents rounded down, the
    leftover cents one each to the earliest touches, so that per model an
    opportunity's credits add up to its won amount exactly; a campaign touched twice
    gets both parts (one row).

    Incremental per opportunity: a build recomputes the opportunities fct_opportunities
    wrote or dropped since this model's last build (rv_stage_written_since_built, whose
    pre-hook deletes their rows; the new ones are appended). That
    mart rewrites a deal whenever anything credits read changes (the deal, its roles,
    its people, their touches), so nothing else needs watching; the settings above
    are recorded with the build (rv_record_settings), and a change of them recomputes every
    deal. campaign_attribution sums these rows per campaign. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=[{'columns': ['opportunity_id']}],
    pre_hook="{{ rv_stage_written_since_built(ref('fct_opportunities'), 'opportunity_id', 'rv_attribution_changed', rv_attribution_settings()) }}",
    post_hook="{{ rv_record_settings(rv_attribution_settings()) }}",
) }}

{%- set first_share = var('position_first_share') | float %}
{%- set last_share = var('position_last_share') | float %}
{%- set half_life = var('time_decay_half_life_days') | float %}
with won as (
    select
        opportunity_id,
        source_system,
        origin_lead_id,
        primary_campaign_id,
        created_at,
        round(coalesce(amount, 0) * 100)::bigint as amount_cents
    from {{ ref('fct_opportunities') }}
    where
        is_won
        {%- if is_incremental() %}
            and (source_system, opportunity_id) in (
                select
                    changed.source_system,
                    changed.key
                from rv_attribution_changed as changed
            )
        {%- endif %}
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
        count(*) over (partition by won.source_system, won.opportunity_id) as touches,
        -- time-decay weight: halved every half_life days before the opportunity was created
        power(
            2::float8,
            -(
                extract(epoch from won.created_at - touches.touched_at)::float8 / 86400.0
                / {{ half_life }}::float8
            )
        ) as decay_weight
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

-- each touch's share under the weighted models (exact decimals for position_based)
shares as (
    select
        touches.*,
        -- a fraction share / parts: the amount is multiplied before it is divided, so
        -- that rounding down is exact
        case
            when touches = 1 then 1::numeric
            when touches = 2 then 0.5::numeric
            when touches.touch_number = 1 then {{ first_share }}::numeric
            when touches.touch_number = touches then {{ last_share }}::numeric
            else 1 - {{ first_share }}::numeric - {{ last_share }}::numeric
        end as position_share,
        case
            when touches > 2 and touches.touch_number not in (1, touches) then touches - 2 else 1
        end
            as position_parts,
        touches.decay_weight
        / sum(touches.decay_weight)
            over (partition by touches.source_system, touches.opportunity_id)
            as decay_share
    from touches
),

-- rounded down to whole cents; the leftover cents one each to the earliest touches
weighted_parts as (
    select
        source_system,
        campaign_id,
        opportunity_id,
        touch_number,
        'position_based' as attribution_model,
        amount_cents,
        floor(amount_cents * position_share / position_parts)::bigint as part_cents
    from shares
    union all
    select
        source_system,
        campaign_id,
        opportunity_id,
        touch_number,
        'time_decay' as attribution_model,
        amount_cents,
        floor(amount_cents::float8 * decay_share)::bigint as part_cents
    from shares
),

weighted as (
    select
        source_system,
        campaign_id,
        opportunity_id,
        attribution_model,
        part_cents + case
            when
                touch_number
                <= amount_cents
                - sum(part_cents) over (
                    partition by source_system, opportunity_id, attribution_model
                )
                then 1
            else 0
        end as credit_cents
    from weighted_parts
),

credits as (
    select * from weighted
    union all
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
)

select
    source_system,
    opportunity_id,
    attribution_model,
    campaign_id,
    (sum(credit_cents) / 100.0)::numeric(18, 2) as credit_amount
from credits
group by source_system, opportunity_id, attribution_model, campaign_id
