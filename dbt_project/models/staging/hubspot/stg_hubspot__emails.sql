{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=rv_hubspot_association_indexes(['who_id', 'what_id']),
    pre_hook="{{ rv_index_raw('hubspot', 'email') }}",
    post_hook=rv_drop_deleted()) }}

{{ rv_hubspot_engagements('email') }}
