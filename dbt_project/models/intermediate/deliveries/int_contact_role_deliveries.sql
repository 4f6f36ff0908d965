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
union all
-- HubSpot: the contacts associated with each version of a deal; a version with none
-- (an archived deal's, say) still has its row, so that its deal is seen to have changed
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'deal') }} as record_key,
    trim(deals.hs_object_id) as opportunity_id,
    associated.contact_id,
    deals._loaded_at
from {{ source('hubspot', 'deal') }} as deals
left join
    lateral unnest({{ rv_hubspot_ids('deals.associated_contact_ids') }}) as associated (contact_id)
    on true
