{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['contact_id']}],
    pre_hook="{{ rv_index_raw('hubspot', 'form_submission') }}") }}

with submissions as ({{ rv_newest_records('hubspot', 'form_submission') }})

select
    conversion_id,
    contact_id,
    form_id,
    title as form_name,
    timestamp as submitted_at,
    campaign_id,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from submissions
