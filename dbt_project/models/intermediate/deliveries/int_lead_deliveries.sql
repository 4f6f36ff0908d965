{#- Every version of every lead a source delivered, and when it was loaded. A new
    source adds its branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'lead') }} as record_key,
    {{ rv_salesforce_id('"id"') }} as lead_id,
    {{ rv_salesforce_id('convertedopportunityid') }} as converted_opportunity_id,
    {{ rv_salesforce_id('convertedcontactid') }} as converted_contact_id,
    _loaded_at
from {{ source('salesforce', 'lead') }}
union all
select
    'olist' as source_system,
    mql_id as record_key,
    mql_id as lead_id,
    null::text as converted_opportunity_id,
    null::text as converted_contact_id,
    null::timestamptz as _loaded_at
from {{ ref('stg_olist__mqls') }}
