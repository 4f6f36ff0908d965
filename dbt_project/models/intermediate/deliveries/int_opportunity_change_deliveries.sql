{#- Every version of every opportunity change (stage history) a source delivered, and
    when it was loaded. A new source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'opportunity_history') }} as record_key,
    {{ rv_salesforce_id('opportunityid') }} as opportunity_id,
    _loaded_at
from {{ source('salesforce', 'opportunity_history') }}
union all
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'deal_property_history') }} as record_key,
    trim(deal_id) as opportunity_id,
    _loaded_at
from {{ source('hubspot', 'deal_property_history') }}
where name = 'dealstage'
