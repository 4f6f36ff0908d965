{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['opportunity_id']}],
    pre_hook="{{ rv_index_raw('hubspot', 'deal_property_history') }}") }}

with history as ({{ rv_newest_records('hubspot', 'deal_property_history') }})

select
    deal_id as opportunity_id,
    name as property_name,
    value,
    timestamp as changed_at,
    source as change_source,
    source_id as change_source_id,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from history
