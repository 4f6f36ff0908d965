{#- Every current contact of every source, converted ones included (a lead's
    converted contact is not a person of the funnel, but it is one of its
    opportunity's people and may be an opportunity's origin person). Emails only as
    a keyed hash (rv_email_key). A new source adds its branch here. -#}
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
    null::timestamptz as sql_at
from {{ ref('stg_salesforce__contacts') }} as contacts
where {{ rv_readable('contacts') }}
union all
-- HubSpot: every person is a contact; sql_at is when it became a sales qualified lead
-- (sales accepted it: METRICS.md "HubSpot")
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
    contacts.sql_at
from {{ ref('stg_hubspot__contacts') }} as contacts
where {{ rv_readable('contacts') }}
