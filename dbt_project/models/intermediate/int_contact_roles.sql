{#- Contact roles held by current contacts (Salesforce keeps a role whose contact was
    deleted: it names nobody). One row per role, with its opportunity's creation
    (null when that opportunity is not current: the role stays, so that an
    incremental build finds the contacts of a deleted deal). A new source adds its
    branch here. -#}
select
    roles.contact_role_id,
    'salesforce' as source_system,
    roles.opportunity_id,
    roles.contact_id,
    roles.is_primary,
    roles.created_at,
    -- looked up through the opportunities' index, role by role
    (
        select opportunities.created_at
        from {{ ref('stg_salesforce__opportunities') }} as opportunities
        where
            opportunities.opportunity_id = roles.opportunity_id
            and {{ rv_readable('opportunities') }}
    ) as opportunity_created_at
from {{ ref('stg_salesforce__opportunity_contact_roles') }} as roles
where
    {{ rv_readable('roles') }}
    and exists (
        select 1 from {{ ref('stg_salesforce__contacts') }} as contacts
        where contacts.contact_id = roles.contact_id and {{ rv_readable('contacts') }}
    )
