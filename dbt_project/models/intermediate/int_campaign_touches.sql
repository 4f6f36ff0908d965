{#- A touch is a campaign membership of a lead or contact, timed at
    FirstRespondedDate (midnight UTC) when set, else its CreatedDate (METRICS.md). -#}
select
    campaign_member_id as touch_id,
    'salesforce' as source_system,
    campaign_id,
    lead_id,
    contact_id,
    coalesce({{ rv_midnight_utc('first_responded_date') }}, created_at) as touched_at
from {{ ref('stg_salesforce__campaign_members') }}
where {{ rv_readable() }}
union all
select
    mql_id as touch_id,
    'olist' as source_system,
    landing_page_id as campaign_id,
    mql_id as lead_id,
    null::text as contact_id,
    {{ rv_midnight_utc('first_contact_date') }} as touched_at
from {{ ref('stg_olist__mqls') }}
where
    {{ rv_readable() }}
    and landing_page_id is not null
