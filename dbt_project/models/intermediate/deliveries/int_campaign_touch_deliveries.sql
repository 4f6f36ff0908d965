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
