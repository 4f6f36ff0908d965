{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['lead_id']},
        {'columns': ['converted_contact_id']},
        {'columns': ['converted_opportunity_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'lead') }}",
    post_hook=rv_drop_deleted()) }}

with leads as ({{ rv_newest_records('salesforce', 'lead') }})

select
    id as lead_id,
    firstname as first_name,
    lastname as last_name,
    email,
    company,
    title,
    country,
    leadsource as lead_source,
    status,
    ownerid as owner_id,
    "owner.name" as owner_name,
    coalesce(isconverted, false) as is_converted,
    converteddate as converted_date,
    convertedcontactid as converted_contact_id,
    convertedaccountid as converted_account_id,
    convertedopportunityid as converted_opportunity_id,
    mql_date as mql_at,
    persona,
    disqualified_reason,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from leads
