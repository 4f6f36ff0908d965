{#- Every version of every activity (task, event) a source delivered: the person
    (who_id) and the record (what_id) it was about, and when it was loaded. A new
    source adds its branch here.
    See _deliveries__models.yml. -#}
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
