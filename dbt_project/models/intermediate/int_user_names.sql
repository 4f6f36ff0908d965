{#- CRM users by full name, where the name is one user's only in their source: an
    export may give a record's owner by name (a Salesforce report's Owner.Name, "Lead
    Owner"; HubSpot's "Contact owner"), and the intermediate layer takes the owner id
    from here when no owner id was delivered (rv_owner_id). -#}
with named as (
    select
        'salesforce' as source_system,
        user_name,
        user_id
    from {{ ref('stg_salesforce__users') }}
    where {{ rv_readable() }} and user_name is not null
    union all
    select
        'hubspot' as source_system,
        owner_name,
        owner_id
    from {{ ref('stg_hubspot__owners') }}
    where {{ rv_readable() }} and owner_name is not null
)

select
    source_system,
    user_name,
    min(user_id) as user_id
from named
group by source_system, user_name
having count(*) = 1
