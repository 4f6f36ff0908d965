{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['contact_id']},
        {'columns': ['account_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'contact') }}",
    post_hook=rv_drop_deleted()) }}

with contacts as ({{ rv_newest_records('salesforce', 'contact') }})

select
    id as contact_id,
    firstname as first_name,
    lastname as last_name,
    email,
    title,
    accountid as account_id,
    leadsource as lead_source,
    ownerid as owner_id,
    "owner.name" as owner_name,
    mql_date as mql_at,
    persona,
    contact_status as status,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from contacts
