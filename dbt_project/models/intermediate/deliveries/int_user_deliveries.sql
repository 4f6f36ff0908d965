{#- When each version of each user (record owner) a source delivered was loaded: a
    user's team, department or status feeds every row of the marts, which are then
    rebuilt whole. Only sources that keep versions have a branch (Olist's users come
    with its deals, which are rebuilt in every build anyway). A new source adds its
    branch here.
    See _deliveries__models.yml. -#}
select
    'salesforce' as source_system,
    {{ rv_raw_record_key('salesforce', 'user') }} as record_key,
    _loaded_at
from {{ source('salesforce', 'user') }}
union all
select
    'hubspot' as source_system,
    {{ rv_raw_record_key('hubspot', 'owner') }} as record_key,
    _loaded_at
from {{ source('hubspot', 'owner') }}
