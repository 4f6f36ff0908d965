{#- Sales and marketing activities (Salesforce Tasks and Events, HubSpot calls, emails,
    meetings and tasks) in one shape; the owner by name (int_user_names) where an
    export gave no owner id. A HubSpot engagement has a row per associated contact
    or deal (who_id, what_id). -#}
select
    activities.task_id as activity_id,
    'salesforce' as source_system,
    'task' as activity_type,
    activities.who_id,
    activities.what_id,
    {{ rv_owner_id('activities.owner_id', 'activities.owner_name') }} as owner_id,
    activities.created_at
from {{ ref('stg_salesforce__tasks') }} as activities
where {{ rv_readable('activities') }}
union all
select
    activities.event_id as activity_id,
    'salesforce' as source_system,
    'event' as activity_type,
    activities.who_id,
    activities.what_id,
    {{ rv_owner_id('activities.owner_id', 'activities.owner_name') }} as owner_id,
    activities.created_at
from {{ ref('stg_salesforce__events') }} as activities
where {{ rv_readable('activities') }}
{%- for kind in ['call', 'email', 'meeting', 'task'] %}
    union all
    select
        activities.activity_id,
        'hubspot' as source_system,
        '{{ kind }}' as activity_type,
        activities.who_id,
        activities.what_id,
        {{ rv_owner_id('activities.owner_id', 'activities.owner_name', "'hubspot'") }} as owner_id,
        activities.created_at
    from {{ ref('stg_hubspot__' ~ kind ~ 's') }} as activities
    where {{ rv_readable('activities') }}
{%- endfor %}
