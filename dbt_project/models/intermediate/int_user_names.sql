{#- Salesforce users by full name, where the name is one user's only: a report export
    gives a record's owner by name (Owner.Name, "Lead Owner"), and the intermediate
    layer takes the owner id from here when no OwnerId was delivered. -#}
select
    user_name,
    min(user_id) as user_id
from {{ ref('stg_salesforce__users') }}
where {{ rv_readable() }} and user_name is not null
group by user_name
having count(*) = 1
