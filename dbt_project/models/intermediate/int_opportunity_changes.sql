{#- Moments an opportunity was changed (its history rows), for last_touched_at. -#}
select
    opportunity_id,
    'salesforce' as source_system,
    created_at as changed_at
from {{ ref('stg_salesforce__opportunity_history') }}
where {{ rv_readable() }}
