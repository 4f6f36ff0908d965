{#- One row per current opportunity (METRICS.md): its origin person, sourcing and
    influence through its people (origin lead, its contact, contact roles), cycle, the
    last time anyone touched it. Incremental like fct_lead_funnel: a build
    recomputes the opportunities something new can have changed
    (rv_stage_changed_opportunities) and drops deleted ones. -#}
{{ config(
    materialized='incremental',
    unique_key=['source_system', 'opportunity_id'],
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['opportunity_id']}],
    meta={'changed_groups': ['account_id']},
    pre_hook="{{ rv_stage_changed_opportunities(rv_opportunity_inputs()) }}",
    post_hook=[
        "{{ rv_drop_missing(rv_opportunity_rows()['opportunities'], 'opportunity_id', 'rv_opportunities_delivered') }}",
        "{{ rv_record_watermarks(rv_opportunity_inputs()) }}",
        "{{ rv_index_columns() }}",
    ],
) }}

{#- the delivery views whose watermarks the hooks read and record -#}
{%- do rv_opportunity_inputs() %}
{#- int_* views, or in an incremental build the pre-hook's rows of the changed
    opportunities -#}
{%- set rows = rv_opportunity_rows() %}

with opportunities as (
    select * from {{ rows.opportunities }}
),

origin_leads as (
    select leads.*
    from {{ rows.leads }} as leads
    where leads.lead_id in (select opportunities.origin_lead_id from opportunities)
),

origin_contacts as (
    select contacts.*
    from {{ rows.contacts }} as contacts
    where contacts.contact_id in (select opportunities.origin_contact_id from opportunities)
),

people as (
    {{ rv_opportunity_people('opportunities', 'origin_leads', rows.roles) }}
),

influence as (
    select
        source_system,
        opportunity_id,
        count(*) as touches_before_creation
    from ({{ rv_opportunity_touches('opportunities', 'people', rows.touches) }}) as touches
    group by source_system, opportunity_id
),

touch_moments as (
    select
        activities.source_system,
        activities.what_id as opportunity_id,
        activities.created_at as touched_at
    from {{ rows.activities }} as activities
    where activities.what_id in (select opportunities.opportunity_id from opportunities)
    union all
    select
        changes.source_system,
        changes.opportunity_id,
        changes.changed_at as touched_at
    from {{ rows.changes }} as changes
    where changes.opportunity_id in (select opportunities.opportunity_id from opportunities)
),

last_touches as (
    select
        source_system,
        opportunity_id,
        max(touched_at) as touched_at
    from touch_moments
    group by source_system, opportunity_id
)

select
    opportunities.opportunity_id,
    opportunities.source_system,
    opportunities.account_id,
    opportunities.owner_id,
    owners.team as owner_team,
    opportunities.origin_lead_id,
    opportunities.origin_person_id,
    opportunities.origin_person_type,
    opportunities.primary_campaign_id,
    opportunities.lead_source,
    opportunities.stage_name,
    opportunities.amount,
    opportunities.created_at,
    opportunities.close_date,
    opportunities.closed_at,
    opportunities.is_closed,
    opportunities.is_won,
    -- the origin person was an MQL (an origin contact: by the time the deal was opened);
    -- unknown (null) where the source never delivered that person's MQL date
    case
        when opportunities.origin_person_type = 'contact'
            then case
                when coalesce(contact_mql_field.delivered, true)
                    then coalesce(origin_contacts.mql_at <= opportunities.created_at, false)
            end
        when coalesce(mql_field.delivered, true) then origin_leads.mql_at is not null
        -- without an origin person, sales-sourced wherever the source delivers MQL dates
        -- (a source without leads: on its contacts)
        when opportunities.origin_person_type is null and contact_mql_field.delivered then false
    end as is_marketing_sourced,
    influence.opportunity_id is not null as is_marketing_influenced,
    case
        when opportunities.is_closed
            then
                (opportunities.closed_at at time zone 'UTC')::date
                - (opportunities.created_at at time zone 'UTC')::date
    end as sales_cycle_days,
    opportunities.win_loss_reason,
    opportunities.reason_delivered,
    greatest(
        opportunities.created_at, opportunities.last_activity_at, last_touches.touched_at
    ) as last_touched_at
from opportunities
left join origin_leads
    on
        opportunities.source_system = origin_leads.source_system
        and opportunities.origin_lead_id = origin_leads.lead_id
left join origin_contacts
    on
        opportunities.source_system = origin_contacts.source_system
        and opportunities.origin_contact_id = origin_contacts.contact_id
left join influence
    on
        opportunities.source_system = influence.source_system
        and opportunities.opportunity_id = influence.opportunity_id
left join last_touches
    on
        opportunities.source_system = last_touches.source_system
        and opportunities.opportunity_id = last_touches.opportunity_id
left join {{ ref('int_users') }} as owners
    on
        opportunities.source_system = owners.source_system
        and opportunities.owner_id = owners.user_id
left join {{ ref('int_delivered_fields') }} as mql_field
    on
        opportunities.source_system = mql_field.source_system
        and mql_field.field = 'lead.mql_at'
left join {{ ref('int_delivered_fields') }} as contact_mql_field
    on
        opportunities.source_system = contact_mql_field.source_system
        and contact_mql_field.field = 'contact.mql_at'
