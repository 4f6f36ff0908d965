{#- Every version of every opportunity a source delivered, and when it was loaded. A
    new source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'opportunity') }} as record_key,
    {{ rv_salesforce_id('"id"') }} as opportunity_id,
    _loaded_at
from {{ source('salesforce', 'opportunity') }}
union all
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'deal') }} as record_key,
    trim(hs_object_id) as opportunity_id,
    _loaded_at
from {{ source('hubspot', 'deal') }}
union all
select
    'olist' as source_system,
    mql_id as record_key,
    mql_id as opportunity_id,
    null::timestamptz as _loaded_at
from {{ ref('stg_olist__closed_deals') }}
