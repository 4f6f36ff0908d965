{#- Opportunities of every source in one shape (int_opportunity_records), with the lead
    each was converted from (origin_lead_id) and its origin person (METRICS.md: the
    origin lead; without one, the contact of its primary contact role, else of its
    earliest-created role; else none). -#}
-- A merged lead can name an opportunity another lead already converted into: the
-- earliest-created lead is the origin.
with origins as (
    select distinct on (source_system, converted_opportunity_id)
        source_system,
        converted_opportunity_id as opportunity_id,
        lead_id as origin_lead_id
    from {{ ref('int_leads') }}
    where converted_opportunity_id is not null
    order by source_system, converted_opportunity_id, created_at, lead_id
)

-- every column of int_opportunity_records, then the origin's
select
    opportunities.*, -- noqa: AM04
    origins.origin_lead_id,
    origin_contact.contact_id as origin_contact_id,
    coalesce(origins.origin_lead_id, origin_contact.contact_id) as origin_person_id,
    case
        when origins.origin_lead_id is not null then 'lead'
        when origin_contact.contact_id is not null then 'contact'
    end as origin_person_type
from {{ ref('int_opportunity_records') }} as opportunities
left join origins
    on
        opportunities.source_system = origins.source_system
        and opportunities.opportunity_id = origins.opportunity_id
-- Without an origin lead: the contact of its primary role, else of its earliest role
-- (METRICS.md). Looked up per opportunity through the roles' index.
left join lateral (
    select roles.contact_id
    from {{ ref('int_contact_roles') }} as roles
    where
        roles.source_system = opportunities.source_system
        and roles.opportunity_id = opportunities.opportunity_id
        and origins.origin_lead_id is null
    order by roles.is_primary desc, roles.created_at asc, roles.contact_role_id asc
    limit 1
) as origin_contact on true
