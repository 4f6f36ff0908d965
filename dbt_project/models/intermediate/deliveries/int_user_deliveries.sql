{#- When each version of each user (record owner) a source delivered was loaded: a
    user's team, department or status feeds every row of the marts, which are then
    rebuilt whole. Only sources that keep versions have a branch (Olist's users come
    with its deals, which are rebuilt in every build anyway). A new source adds its
    branch here.
    The incremental marts look for what changed since their last build in these views
    (macros/incremental_marts.sql), and never in a source. record_key is the source's
    key of the record, as its raw table is indexed (rv_index_raw); a source that keeps
    no versions (Olist, rebuilt whole) delivers each current record with a null
    _loaded_at, which every build counts as new. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'user') }} as record_key,
    _loaded_at
from {{ source('salesforce', 'user') }}
