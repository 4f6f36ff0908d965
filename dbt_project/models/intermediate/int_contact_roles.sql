{#- Contact roles held by current contacts (Salesforce keeps a role whose contact was
    deleted: it names nobody). One row per role, with its opportunity's creation
    (null when that opportunity is not current: the role stays, so that an
    incremental build finds the contacts of a deleted deal). A new source adds its
    branch here.
    HubSpot has no roles: a deal's associated contacts are its people, none primary,
    each "created" when its contact was, so that the earliest created is the deal's
    origin person (METRICS.md "HubSpot": exports carry no association dates). -#}
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
union all
select
    associated.opportunity_id || ':' || associated.contact_id as contact_role_id,
    'hubspot' as source_system,
    associated.opportunity_id,
    associated.contact_id,
    false as is_primary,
    contacts.created_at,
    (
        select deals.created_at
        from {{ ref('stg_hubspot__deals') }} as deals
        where
            deals.opportunity_id = associated.opportunity_id
            and {{ rv_readable('deals') }}
    ) as opportunity_created_at
from {{ ref('stg_hubspot__deal_contacts') }} as associated
inner join {{ ref('stg_hubspot__contacts') }} as contacts
    on associated.contact_id = contacts.contact_id and {{ rv_readable('contacts') }}
where {{ rv_readable('associated') }}
