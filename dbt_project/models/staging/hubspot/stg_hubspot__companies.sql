{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['account_id']}],
    meta={'changed_groups': ['account_id'], 'source_system': 'hubspot'},
    pre_hook="{{ rv_index_raw('hubspot', 'company') }}",
    post_hook=rv_drop_deleted()) }}

with companies as ({{ rv_newest_records('hubspot', 'company') }})

select
    hs_object_id as account_id,
    name as account_name,
    domain,
    lifecyclestage as lifecycle_stage,
    hubspot_owner_id as owner_id,
    hubspot_owner_name as owner_name,
    createdate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from companies
