{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['opportunity_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'opportunity_history') }}",
    post_hook=rv_drop_deleted()) }}

with history as ({{ rv_newest_records('salesforce', 'opportunity_history') }})

select
    id as opportunity_history_id,
    opportunityid as opportunity_id,
    stagename as stage_name,
    amount,
    closedate as close_date,
    createdbyid as created_by_id,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from history
