{#- Every version of every campaign membership a source delivered: the lead and the
    contact it names, and when it was loaded. A new source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'campaign_member') }} as record_key,
    {{ rv_salesforce_id('leadid') }} as lead_id,
    {{ rv_salesforce_id('contactid') }} as contact_id,
    _loaded_at
from {{ source('salesforce', 'campaign_member') }}
union all
select
    'olist' as source_system,
    mql_id as record_key,
    mql_id as lead_id,
    null::text as contact_id,
    null::timestamptz as _loaded_at
from {{ ref('stg_olist__mqls') }}
union all
-- HubSpot: a marketing email click names its contact by email address (the contact
-- that has it now); a form submission by id
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'email_event') }} as record_key,
    null::text as lead_id,
    contacts.contact_id,
    events._loaded_at
from {{ source('hubspot', 'email_event') }} as events
inner join {{ ref('stg_hubspot__contacts') }} as contacts
    on {{ rv_email_address('events.recipient') }} = contacts.email_match
union all
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'form_submission') }} as record_key,
    null::text as lead_id,
    trim(contact_id) as contact_id,
    _loaded_at
from {{ source('hubspot', 'form_submission') }}
