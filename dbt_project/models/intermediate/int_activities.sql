{#- Sales and marketing activities (Salesforce Tasks and Events) in one shape. -#}
select
    task_id as activity_id,
    'salesforce' as source_system,
    'task' as activity_type,
    who_id,
    what_id,
    owner_id,
    created_at
from {{ ref('stg_salesforce__tasks') }}
union all
select
    event_id as activity_id,
    'salesforce' as source_system,
    'event' as activity_type,
    who_id,
    what_id,
    owner_id,
    created_at
from {{ ref('stg_salesforce__events') }}
