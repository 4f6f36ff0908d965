{#- Every version of every contact a source delivered, and when it was loaded. A new
    source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'contact') }} as record_key,
    {{ rv_salesforce_id('"id"') }} as contact_id,
    _loaded_at
from {{ source('salesforce', 'contact') }}
union all
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'contact') }} as record_key,
    trim(hs_object_id) as contact_id,
    _loaded_at
from {{ source('hubspot', 'contact') }}
