{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=[{'columns': ['_key'], 'unique': true}, {'columns': ['_loaded_at']},
        {'columns': ['who_id']},
        {'columns': ['what_id']}],
    pre_hook="{{ rv_index_raw('salesforce', 'task') }}",
    post_hook=rv_drop_deleted()) }}

with tasks as ({{ rv_newest_records('salesforce', 'task') }})

select
    id as task_id,
    whoid as who_id,
    whatid as what_id,
    ownerid as owner_id,
    "owner.name" as owner_name,
    subject,
    tasksubtype as task_subtype,
    status,
    activitydate as activity_date,
    createddate as created_at,
    _modified_at as modified_at,
    _key,
    _is_deleted,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from tasks
