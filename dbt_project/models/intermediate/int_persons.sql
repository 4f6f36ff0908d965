{#- The persons of the funnel (METRICS.md, The funnel): every lead (int_leads), and
    every current contact that is not the converted contact of a lead (created
    directly: a customer's colleague, an event badge scan). lead_id holds the
    person's own id, person_type says lead or contact.

    A contact's converted_opportunity_id is its opportunity: the earliest-created
    current opportunity on which it has a contact role (ties: lower id). Its
    is_converted says whether it has one. A contact has no disqualified reason (a
    lead-only field).

    What decides acceptance (METRICS.md), per source: status_verdict is what the
    person's status says (rejected, accepted, or null) by its source's status lists;
    accepted_by says what else accepts it (conversion: being converted, or having a
    deal; opportunity_after_mql: its opportunity opened at or after its MQL, checked
    before its status); sales_accepted_at when sales marked it accepted (HubSpot's
    SQL date). -#}
-- A set, not a lookup per contact: a key lookup of a person (rv_rows_by_key) filters
-- contact_id, which reaches the DISTINCT ON through its key.
with contact_opportunities as (
    select distinct on (roles.source_system, roles.contact_id)
        roles.source_system,
        roles.contact_id,
        roles.opportunity_id
    from {{ ref('int_contact_roles') }} as roles
    where roles.opportunity_created_at is not null
    order by
        roles.source_system asc,
        roles.contact_id asc,
        roles.opportunity_created_at asc,
        roles.opportunity_id asc
)

select
    leads.lead_id,
    leads.source_system,
    'lead' as person_type,
    leads.lead_source,
    leads.owner_id,
    leads.status,
    leads.created_at,
    leads.mql_at,
    leads.is_converted,
    leads.converted_contact_id,
    leads.converted_opportunity_id,
    leads.account_id,
    leads.persona_field,
    leads.title,
    leads.disqualified_reason,
    leads.email_key,
    leads.email_is_valid,
    leads.email_delivered,
    leads.owner_delivered,
    {{ rv_status_verdict('leads.status', var('rejected_statuses'), var('accepted_statuses')) }}
        as status_verdict,
    coalesce(leads.status in {{ rv_text_list(var('nurture_statuses')) }}, false) as is_nurture,
    'conversion' as accepted_by,
    null::timestamptz as sales_accepted_at
from {{ ref('int_leads') }} as leads
union all
select
    contacts.contact_id as lead_id,
    contacts.source_system,
    'contact' as person_type,
    contacts.lead_source,
    contacts.owner_id,
    contacts.status,
    contacts.created_at,
    contacts.mql_at,
    opportunity.opportunity_id is not null as is_converted,
    null::text as converted_contact_id,
    opportunity.opportunity_id as converted_opportunity_id,
    contacts.account_id,
    contacts.persona_field,
    contacts.title,
    null::text as disqualified_reason,
    contacts.email_key,
    contacts.email_is_valid,
    true as email_delivered,
    true as owner_delivered,
    contacts.status_verdict,
    contacts.is_nurture,
    contacts.accepted_by,
    contacts.sales_accepted_at
from {{ ref('int_contacts') }} as contacts
left join contact_opportunities as opportunity
    on
        contacts.source_system = opportunity.source_system
        and contacts.contact_id = opportunity.contact_id
where not exists (
    select 1 from {{ ref('int_leads') }} as leads
    where
        leads.source_system = contacts.source_system
        and leads.converted_contact_id = contacts.contact_id
)
