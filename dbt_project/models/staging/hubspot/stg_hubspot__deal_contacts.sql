{{ config(materialized='incremental', unique_key='_key', incremental_strategy='delete+insert',
    indexes=rv_hubspot_association_indexes(['opportunity_id', 'contact_id']),
    pre_hook="{{ rv_index_raw('hubspot', 'deal') }}",
    post_hook=rv_drop_deleted()) }}

{#- The contacts associated with each deal (its Associated Contact IDs), one row each:
    HubSpot's contact roles (int_contact_roles); one row with a null contact for a deal
    associated with none, so that an incremental build replaces its old rows. -#}
with deals as ({{ rv_newest_records('hubspot', 'deal') }})

select
    deals.hs_object_id as opportunity_id,
    associated.contact_id,
    associated.position,
    deals._key,
    deals._is_deleted,
    deals._invalid_fields,
    deals._loaded_at,
    deals._file,
    deals._row_number
from deals
left join
    lateral unnest({{ rv_hubspot_ids('deals.associated_contact_ids') }})
    with ordinality as associated (contact_id, position)
    on true
