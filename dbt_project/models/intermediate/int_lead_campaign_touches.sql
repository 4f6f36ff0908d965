{#- Campaign touches of each lead or its converted contact, numbered in time order
    (ties: campaign id, then touch id). A membership naming both the lead and its
    contact counts once. -#}
with touch_people as (
    select
        touch_id,
        source_system,
        campaign_id,
        touched_at,
        lead_id as person_id
    from {{ ref('int_campaign_touches') }}
    where lead_id is not null
    union all
    select
        touch_id,
        source_system,
        campaign_id,
        touched_at,
        contact_id as person_id
    from {{ ref('int_campaign_touches') }}
    where contact_id is not null
),

lead_touches as (
    select distinct
        people.lead_id,
        people.source_system,
        touch_people.touch_id,
        touch_people.campaign_id,
        touch_people.touched_at
    from {{ ref('int_lead_people') }} as people
    inner join touch_people
        on
            people.source_system = touch_people.source_system
            and people.person_id = touch_people.person_id
)

select
    lead_id,
    source_system,
    touch_id,
    campaign_id,
    touched_at,
    row_number() over (
        partition by source_system, lead_id
        order by touched_at, campaign_id, touch_id
    ) as touch_number,
    count(*) over (partition by source_system, lead_id) as touches
from lead_touches
