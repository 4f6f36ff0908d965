{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']}],
    pre_hook="{{ rv_index_raw('salesforce', 'campaign') }}",
    post_hook=rv_drop_deleted()) }}

with campaigns as ({{ rv_newest_records('salesforce', 'campaign') }})

select
    id as campaign_id,
    name as campaign_name,
    type as channel,
    status,
    startdate as start_date,
    enddate as end_date,
    budgetedcost as budgeted_cost,
    actualcost as actual_cost,
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
from campaigns
