{#- Every version of every opportunity a source delivered, and when it was loaded. A
    new source adds its branch here.
    The incremental marts look for what changed since their last build in these views
    (macros/incremental_marts.sql), and never in a source. record_key is the source's
    key of the record, as its raw table is indexed (rv_index_raw); a source that keeps
    no versions (Olist, rebuilt whole) delivers each current record with a null
    _loaded_at, which every build counts as new. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'opportunity') }} as record_key,
    {{ rv_salesforce_id('"id"') }} as opportunity_id,
    _loaded_at
from {{ source('salesforce', 'opportunity') }}
union all
select
    'olist' as source_system,
    mql_id as record_key,
    mql_id as opportunity_id,
    null::timestamptz as _loaded_at
from {{ ref('stg_olist__closed_deals') }}
