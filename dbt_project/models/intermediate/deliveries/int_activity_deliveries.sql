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
{%- for kind in ['call', 'email', 'meeting', 'task'] %}
    union all
    select
        'hubspot' as source_system,
        {{ rv_raw_record_key('hubspot', kind) }} as record_key,
        associated.who_id,
        associated.what_id,
        engagements._loaded_at
    from {{ source('hubspot', kind) }} as engagements
    left join lateral unnest(
        {{ rv_hubspot_ids('engagements.associated_contact_ids') }},
        {{ rv_hubspot_ids('engagements.associated_deal_ids') }}
    ) as associated (who_id, what_id) on true
{%- endfor %}
