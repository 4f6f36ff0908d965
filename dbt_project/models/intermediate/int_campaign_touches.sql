{#- A touch is a campaign membership of a lead or contact, timed at
    FirstRespondedDate (midnight UTC) when set, else its CreatedDate (METRICS.md).
    HubSpot: a contact's click in a campaign's marketing email (its recipient is the
    contact with that email address) and a form submission attributed to a campaign,
    timed at the event (METRICS.md "HubSpot"). -#}
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
    'click:' || clicks.event_id as touch_id,
    'hubspot' as source_system,
    clicks.campaign_id,
    null::text as lead_id,
    contacts.contact_id,
    clicks.created_at as touched_at
from {{ ref('stg_hubspot__email_events') }} as clicks
inner join {{ ref('stg_hubspot__contacts') }} as contacts
    on clicks.recipient_match = contacts.email_match and {{ rv_readable('contacts') }}
where
    {{ rv_readable('clicks') }}
    and clicks.event_type = 'CLICK'
    and clicks.campaign_id is not null
union all
select
    'form:' || forms.conversion_id as touch_id,
    'hubspot' as source_system,
    forms.campaign_id,
    null::text as lead_id,
    forms.contact_id,
    forms.submitted_at as touched_at
from {{ ref('stg_hubspot__form_submissions') }} as forms
where
    {{ rv_readable('forms') }}
    and forms.campaign_id is not null
    and forms.contact_id is not null
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
