{#- A few dozen rows: rebuilt whole each time. -#}
with stages as ({{ rv_newest_records('hubspot', 'deal_stage') }})

select
    pipeline_id,
    pipeline_label,
    pipeline_display_order,
    stage_id,
    stage_label,
    display_order,
    probability,
    not coalesce(archived, false) as is_active,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from stages
