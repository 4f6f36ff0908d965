{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['opportunity_id']},
        {'columns': ['account_id']}],
    pre_hook="{{ rv_index_raw('hubspot', 'deal') }}",
    post_hook=rv_drop_deleted()) }}

with deals as ({{ rv_newest_records('hubspot', 'deal') }})

select
    hs_object_id as opportunity_id,
    dealname as opportunity_name,
    associatedcompanyid as account_id,
    hubspot_owner_id as owner_id,
    hubspot_owner_name as owner_name,
    {{ rv_hubspot_option('hs_analytics_source', 'hs_analytics_source') }} as lead_source,
    hs_campaign as primary_campaign_id,
    pipeline,
    dealstage as deal_stage,
    amount,
    closedate as close_at,
    closed_won_reason,
    closed_lost_reason,
    notes_last_updated as last_activity_at,
    createdate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from deals
