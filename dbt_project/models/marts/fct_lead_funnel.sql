{#- One row per person (a lead, or a contact created directly: int_persons): its way
    through the funnel (METRICS.md, The funnel).

    Incremental: a build recomputes only the leads something new can have changed
    (rv_stage_changed_leads), the pending MQLs (their SLA status moves with as_of) and
    drops deleted leads; any other lead's row is already right. Indexed by email_key:
    int_hygiene_issues numbers again the persons sharing an email with those it
    recomputes; and its pending MQLs by a partial index, which the pre-hook reads
    them by (a scan of the whole table for a few hundred rows before).
    ops.mart_watermarks records how far each input had been loaded. After
    changing a setting or seed, build once with --full-refresh. -#}
{{ config(
    materialized='incremental',
    unique_key=['source_system', 'lead_id'],
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['lead_id']}, {'columns': ['email_key']}],
    meta={'changed_groups': ['account_id']},
    pre_hook="{{ rv_stage_changed_leads(rv_lead_funnel_inputs()) }}",
    post_hook=[
        "{{ rv_drop_missing(rv_lead_funnel_rows()['leads'], 'lead_id', 'rv_lead_funnel_delivered') }}",
        "{{ rv_record_watermarks(rv_lead_funnel_inputs()) }}",
        "{{ rv_index_columns() }}",
        "{{ rv_index_columns(['lead_id'], where=\"(sla_status = 'pending'::text)\") }}",
    ],
) }}

-- looked up by the pre-hook (rv_stage_changed_leads):
-- depends_on: {{ ref('int_leads') }}, {{ ref('int_contact_roles') }}
{#- the delivery views whose watermarks the hooks read and record -#}
{%- do rv_lead_funnel_inputs() %}
{#- int_* views, or in an incremental build the pre-hook's rows of the changed leads -#}
{%- set rows = rv_lead_funnel_rows() %}

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

leads as (
    select * from {{ rows.leads }}
),

-- first sales touch and latest activity
sales as (
    {{ rv_activity_facts('leads', rows.activities) }}
),

personas as (
    {{ rv_lead_personas('leads') }}
),

first_touches as (
    select
        lead_id,
        source_system,
        max(case when touch_number = 1 then campaign_id end) as first_campaign_id,
        max(case when touch_number = touches then campaign_id end) as last_campaign_id,
        min(touched_at) as first_campaign_touch_at,
        max(touched_at) as last_campaign_touch_at
    from ({{ rv_lead_campaign_touches('leads', rows.touches) }}) as touches
    group by lead_id, source_system
)

select
    leads.lead_id,
    leads.person_type,
    leads.source_system,
    leads.lead_source,
    personas.persona,
    leads.owner_id,
    owners.team as owner_team,
    leads.status,
    leads.created_at,
    leads.mql_at,
    sales.first_touch_at,
    round((extract(epoch from sales.first_touch_at - leads.mql_at) / 3600)::numeric, 4)
        as first_touch_hours,
    case
        when leads.mql_at is null then null
        when sales.first_touch_at is not null
            then case
                when
                    sales.first_touch_at - leads.mql_at
                    <= make_interval(hours => {{ var('follow_up_sla_hours') }}) then 'met'
                else 'breached'
            end
        when as_of.as_of - leads.mql_at > make_interval(hours => {{ var('follow_up_sla_hours') }})
            then 'breached'
        else 'pending'
    end as sla_status,
    case
        when leads.mql_at is null then null
        -- a contact accepted by its opportunity: once it was opened at or after its MQL,
        -- whatever its status says
        when
            leads.accepted_by = 'opportunity_after_mql'
            and opportunities.created_at >= leads.mql_at
            then 'accepted'
        when leads.status_verdict = 'rejected' then 'rejected'
        -- converted (a lead), or with a deal (a contact of a source without leads)
        when leads.is_converted and leads.accepted_by = 'conversion' then 'accepted'
        when leads.sales_accepted_at is not null then 'accepted'
        when leads.status_verdict = 'accepted' then 'accepted'
        -- a source that never delivered a lead status: unknown, not open (a contact
        -- without a status field is open: METRICS.md)
        when leads.person_type = 'lead' and not coalesce(status_field.delivered, true) then null
        else 'open'
    end as acceptance_status,
    leads.is_converted,
    opportunities.opportunity_id,
    opportunities.created_at as opportunity_created_at,
    opportunities.closed_at,
    opportunities.is_closed,
    opportunities.is_won,
    case when opportunities.is_won then coalesce(opportunities.amount, 0) end as won_amount,
    first_touches.first_campaign_id,
    first_touches.last_campaign_id,
    first_touches.first_campaign_touch_at,
    leads.account_id,
    leads.disqualified_reason is not null as has_disqualified_reason,
    coalesce(leads.status_verdict = 'rejected', false) as has_rejected_status,
    leads.email_key,
    leads.email_is_valid,
    leads.email_delivered,
    leads.owner_delivered,
    leads.is_nurture,
    -- its latest activity (by anyone) or campaign touch: a nurture lead is looked after
    greatest(sales.last_activity_at, first_touches.last_campaign_touch_at)
        as last_touched_at,
    leads.disqualified_reason
from leads
cross join as_of
left join personas
    on leads.source_system = personas.source_system and leads.lead_id = personas.lead_id
left join {{ ref('int_users') }} as owners
    on leads.source_system = owners.source_system and leads.owner_id = owners.user_id
left join sales
    on leads.source_system = sales.source_system and leads.lead_id = sales.lead_id
left join {{ rows.opportunities }} as opportunities
    on
        leads.source_system = opportunities.source_system
        and leads.converted_opportunity_id = opportunities.opportunity_id
        -- a lead's is the one it became (as its origin); a contact's, its earliest role's
        and (leads.person_type = 'contact' or leads.lead_id = opportunities.origin_lead_id)
left join first_touches
    on leads.source_system = first_touches.source_system and leads.lead_id = first_touches.lead_id
left join {{ ref('int_delivered_fields') }} as status_field
    on leads.source_system = status_field.source_system and status_field.field = 'lead.status'
