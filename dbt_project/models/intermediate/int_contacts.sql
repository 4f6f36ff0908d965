{#- Every current contact of every source, converted ones included (a lead's
    converted contact is not a person of the funnel, but it is one of its
    opportunity's people and may be an opportunity's origin person). Emails only as
    a keyed hash (rv_email_key). status_verdict, accepted_by and sales_accepted_at say
    how its source decides acceptance (int_persons); is_nurture whether its status is
    one of its source's nurture statuses (the nurture rule of the hygiene_rules seed).
    A new source adds its branch here. -#}
select
    contacts.contact_id,
    'salesforce' as source_system,
    contacts.account_id,
    {{ rv_owner_id('contacts.owner_id', 'contacts.owner_name') }} as owner_id,
    nullif(trim(contacts.lead_source), '') as lead_source,
    contacts.status,
    contacts.created_at,
    contacts.mql_at,
    nullif(trim(contacts.persona), '') as persona_field,
    contacts.title,
    {{ rv_email_key('contacts.email') }} as email_key,
    {{ rv_email_is_valid('contacts.email') }} as email_is_valid,
    {{ rv_status_verdict('contacts.status', var('rejected_statuses'), var('accepted_statuses')) }}
        as status_verdict,
    coalesce(contacts.status in {{ rv_text_list(var('nurture_statuses')) }}, false) as is_nurture,
    -- accepted once its opportunity was opened at or after its MQL, whatever its status
    'opportunity_after_mql' as accepted_by,
    null::timestamptz as sales_accepted_at
from {{ ref('stg_salesforce__contacts') }} as contacts
where {{ rv_readable('contacts') }}
union all
-- HubSpot: every person is a contact, rejected by its own status lists first, then
-- accepted by a deal (as a lead by its conversion), by becoming a sales qualified lead
-- or by its status (METRICS.md "HubSpot")
select
    contacts.contact_id,
    'hubspot' as source_system,
    contacts.account_id,
    {{ rv_owner_id('contacts.owner_id', 'contacts.owner_name', "'hubspot'") }} as owner_id,
    nullif(trim(contacts.lead_source), '') as lead_source,
    contacts.status,
    contacts.created_at,
    contacts.mql_at,
    nullif(trim(contacts.persona), '') as persona_field,
    contacts.title,
    {{ rv_email_key('contacts.email') }} as email_key,
    {{ rv_email_is_valid('contacts.email') }} as email_is_valid,
    {{ rv_status_verdict(
        'contacts.status', var('hubspot_rejected_statuses'), var('hubspot_accepted_statuses')
    ) }} as status_verdict,
    coalesce(contacts.status in {{ rv_text_list(var('hubspot_nurture_statuses')) }}, false)
        as is_nurture,
    'conversion' as accepted_by,
    contacts.sql_at as sales_accepted_at
from {{ ref('stg_hubspot__contacts') }} as contacts
where {{ rv_readable('contacts') }}
