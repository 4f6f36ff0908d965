{#- Contact roles of current opportunities held by current contacts (Salesforce keeps
    a role whose contact was deleted: it names nobody). One row per role. A new
    source adds its branch here. -#}
select
    roles.contact_role_id,
    'salesforce' as source_system,
    roles.opportunity_id,
    roles.contact_id,
    roles.is_primary,
    roles.created_at
from {{ ref('stg_salesforce__opportunity_contact_roles') }} as roles
where
    {{ rv_readable('roles') }}
    and exists (
        select 1 from {{ ref('stg_salesforce__contacts') }} as contacts
        where contacts.contact_id = roles.contact_id and {{ rv_readable('contacts') }}
    )
