{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['contact_id']},
        {'columns': ['account_id']},
        {'columns': ['email_match']}],
    pre_hook="{{ rv_index_raw('hubspot', 'contact') }}",
    post_hook=rv_drop_deleted()) }}

with contacts as ({{ rv_newest_records('hubspot', 'contact') }})

select
    hs_object_id as contact_id,
    firstname as first_name,
    lastname as last_name,
    email,
    -- what a marketing email event's recipient is matched on
    {{ rv_email_address('email') }} as email_match,
    jobtitle as title,
    {{ rv_hubspot_option('hs_persona', 'hs_persona', to='label') }} as persona,
    {{ rv_hubspot_option('hs_analytics_source', 'hs_analytics_source') }} as lead_source,
    {{ rv_hubspot_option('hs_lead_status', 'hs_lead_status') }} as status,
    lifecyclestage as lifecycle_stage,
    hs_lifecyclestage_marketingqualifiedlead_date as mql_at,
    hs_lifecyclestage_salesqualifiedlead_date as sql_at,
    hubspot_owner_id as owner_id,
    hubspot_owner_name as owner_name,
    associatedcompanyid as account_id,
    createdate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from contacts
