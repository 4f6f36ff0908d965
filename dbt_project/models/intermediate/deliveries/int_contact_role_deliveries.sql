{#- Every version of every contact role a source delivered, with the opportunity and
    the contact it names, and when it was loaded. A new source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'opportunity_contact_role') }} as record_key,
    {{ rv_salesforce_id('opportunityid') }} as opportunity_id,
    {{ rv_salesforce_id('contactid') }} as contact_id,
    _loaded_at
from {{ source('salesforce', 'opportunity_contact_role') }}
