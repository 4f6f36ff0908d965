{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['opportunity_id']},
        {'columns': ['account_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'opportunity') }}",
    post_hook=rv_drop_deleted()) }}

with opportunities as ({{ rv_newest_records('salesforce', 'opportunity') }})

select
    id as opportunity_id,
    name as opportunity_name,
    accountid as account_id,
    ownerid as owner_id,
    "owner.name" as owner_name,
    leadsource as lead_source,
    type as opportunity_type,
    campaignid as primary_campaign_id,
    stagename as stage_name,
    amount,
    closedate as close_date,
    coalesce(isclosed, false) as is_closed,
    coalesce(iswon, false) as is_won,
    win_loss_reason,
    lastactivitydate as last_activity_date,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from opportunities
