{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']}],
    pre_hook="{{ rv_index_raw('hubspot', 'campaign') }}") }}

with campaigns as ({{ rv_newest_records('hubspot', 'campaign') }})

select
    id as campaign_id,
    hs_name as campaign_name,
    hs_campaign_status as status,
    hs_start_date as start_date,
    hs_end_date as end_date,
    hs_budget_items_sum_amount as budget,
    hs_spend_items_sum_amount as actual_cost,
    hubspot_owner_id as owner_id,
    hs_createdate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from campaigns
