{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['opportunity_id']},
        {'columns': ['contact_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'opportunity_contact_role') }}",
    post_hook=rv_drop_deleted()) }}

with roles as ({{ rv_newest_records('salesforce', 'opportunity_contact_role') }})

select
    id as contact_role_id,
    opportunityid as opportunity_id,
    contactid as contact_id,
    role,
    coalesce(isprimary, false) as is_primary,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from roles
