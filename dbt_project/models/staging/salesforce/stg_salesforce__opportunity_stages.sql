{#- A few dozen rows: rebuilt whole each time. -#}
with stages as ({{ rv_newest_records('salesforce', 'opportunity_stage') }})

select
    id as opportunity_stage_id,
    masterlabel as stage_name,
    sortorder as sort_order,
    isactive as is_active,
    isclosed as is_closed,
    iswon as is_won,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from stages
