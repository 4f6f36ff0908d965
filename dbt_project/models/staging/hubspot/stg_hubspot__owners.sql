{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']}],
    pre_hook="{{ rv_index_raw('hubspot', 'owner') }}") }}

with owners as ({{ rv_newest_records('hubspot', 'owner') }})

select
    id as owner_id,
    nullif(trim(concat_ws(' ', trim(firstname), trim(lastname))), '') as owner_name,
    email,
    not coalesce(archived, false) as is_active,
    {{ rv_hubspot_ids('teams') }} as teams,
    createdat as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from owners
