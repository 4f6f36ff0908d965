{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']}],
    pre_hook="{{ rv_index_raw('salesforce', 'user') }}") }}

with users as ({{ rv_newest_records('salesforce', 'user') }})

select
    id as user_id,
    name as user_name,
    email,
    coalesce(isactive, false) as is_active,
    department,
    division,
    title,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from users
