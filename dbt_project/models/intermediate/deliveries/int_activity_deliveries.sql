{#- Every version of every activity (task, event) a source delivered: the person
    (who_id) and the record (what_id) it was about, and when it was loaded. A new
    source adds its branch here.
    The incremental marts look for what changed since their last build in these views
    (macros/incremental_marts.sql), and never in a source. record_key is the source's
    key of the record, as its raw table is indexed (rv_index_raw); a source that keeps
    no versions (Olist, rebuilt whole) delivers each current record with a null
    _loaded_at, which every build counts as new. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'task') }} as record_key,
    {{ rv_salesforce_id('whoid') }} as who_id,
    {{ rv_salesforce_id('whatid') }} as what_id,
    _loaded_at
from {{ source('salesforce', 'task') }}
union all
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'event') }} as record_key,
    {{ rv_salesforce_id('whoid') }} as who_id,
    {{ rv_salesforce_id('whatid') }} as what_id,
    _loaded_at
from {{ source('salesforce', 'event') }}
