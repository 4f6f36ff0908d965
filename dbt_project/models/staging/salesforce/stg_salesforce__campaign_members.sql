{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['lead_id']},
        {'columns': ['contact_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'campaign_member') }}",
    post_hook=rv_drop_deleted()) }}

with members as ({{ rv_newest_records('salesforce', 'campaign_member') }})

select
    id as campaign_member_id,
    campaignid as campaign_id,
    leadid as lead_id,
    contactid as contact_id,
    status,
    coalesce(hasresponded, false) as has_responded,
    firstrespondeddate as first_responded_date,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from members
