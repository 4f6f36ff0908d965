{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['recipient_match']}],
    pre_hook="{{ rv_index_raw('hubspot', 'email_event') }}") }}

with events as ({{ rv_newest_records('hubspot', 'email_event') }})

select
    id as event_id,
    upper(trim(type)) as event_type,
    -- matched on stg_hubspot__contacts.email_match
    {{ rv_email_address('recipient') }} as recipient_match,
    created as created_at,
    campaign_id,
    email_campaign_id,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from events
