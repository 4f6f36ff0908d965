{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['account_id']}],
    meta={'changed_groups': ['account_id'], 'source_system': 'salesforce'},
    pre_hook="{{ rv_index_raw('salesforce', 'account') }}",
    post_hook=rv_drop_deleted()) }}

with accounts as ({{ rv_newest_records('salesforce', 'account') }})

select
    id as account_id,
    name as account_name,
    type as account_type,
    industry,
    ownerid as owner_id,
    "owner.name" as owner_name,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from accounts
