{#- One row per current record and hygiene rule it breaks, at as_of (METRICS.md, CRM
    hygiene rules). Lead rules apply to persons of both types (person_type: lead or
    contact; record_type stays lead), except rejected_without_reason, which reads a
    lead-only field. A rule does not apply to a source's records while a field it
    reads was never delivered by that source (int_rules_not_applicable), nor where
    a record says its source keeps no such field (the *_delivered flags of int_leads
    and int_opportunities: a source may keep no lead owner before the deal). An owner id
    that is no user of the User extract counts as no owner. -#}
with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

leads as (
    select
        funnel.lead_id,
        funnel.person_type,
        funnel.source_system,
        funnel.owner_id,
        funnel.owner_delivered,
        funnel.lead_source,
        funnel.email_delivered,
        funnel.email_is_valid,
        funnel.sla_status,
        funnel.first_touch_at,
        funnel.acceptance_status,
        funnel.has_disqualified_reason,
        funnel.is_nurture,
        funnel.last_touched_at,
        owners.is_active as owner_is_active,
        owners.user_id is not null as owner_is_known
    from {{ ref('fct_lead_funnel') }} as funnel
    left join {{ ref('int_users') }} as owners
        on funnel.source_system = owners.source_system and funnel.owner_id = owners.user_id
),

-- Only an email two leads share can make a duplicate: a few thousand of a million
-- leads to number, not all of them.
shared_emails as (
    select
        source_system,
        email_key
    from {{ ref('fct_lead_funnel') }}
    where email_key is not null
    group by source_system, email_key
    having count(*) > 1
),

earlier_same_email as (
    select
        funnel.lead_id,
        funnel.source_system,
        row_number() over (
            partition by funnel.source_system, funnel.email_key
            order by funnel.created_at, funnel.lead_id
        ) > 1 as is_duplicate
    from {{ ref('fct_lead_funnel') }} as funnel
    inner join shared_emails
        on
            funnel.source_system = shared_emails.source_system
            and funnel.email_key = shared_emails.email_key
),

opportunities as (
    select
        opportunities.*,
        stages.needs_amount
    from {{ ref('fct_opportunities') }} as opportunities
    left join {{ ref('int_stage_order') }} as stages
        on
            opportunities.source_system = stages.source_system
            and opportunities.stage_name = stages.stage_name
),

-- The rules a lead breaks, as an array of their names: a lead yields a row per rule
-- it breaks, not one per rule to filter (six million rows at a million leads).
lead_issues as (
    select
        leads.lead_id as record_id,
        leads.person_type,
        leads.source_system,
        leads.owner_id,
        rule.rule
    from leads
    cross join as_of
    left join earlier_same_email as duplicates
        on leads.source_system = duplicates.source_system and leads.lead_id = duplicates.lead_id
    cross join
        lateral unnest(array_remove(array[
            case
                when
                    leads.owner_delivered
                    and (not leads.owner_is_known or leads.owner_is_active is false)
                    then 'lead_missing_owner'
            end,
            case when leads.lead_source is null then 'lead_missing_source' end,
            case
                when leads.email_delivered and not leads.email_is_valid then 'lead_invalid_email'
            end,
            case when duplicates.is_duplicate then 'lead_duplicate_email' end,
            case
                when
                    leads.sla_status = 'breached'
                    and leads.first_touch_at is null
                    and leads.acceptance_status != 'rejected'
                    then 'mql_not_followed_up'
            end,
            case
                -- Disqualified_Reason__c is a lead's field: not a contact's rule
                when
                    leads.person_type = 'lead'
                    and leads.acceptance_status = 'rejected'
                    and not leads.has_disqualified_reason
                    then 'rejected_without_reason'
            end,
            case
                -- a nurture lead nobody touched (activity or campaign) for a while
                when
                    leads.is_nurture
                    and (
                        leads.last_touched_at is null
                        or as_of.as_of - leads.last_touched_at
                        > make_interval(days => {{ var('nurture_touch_days') }})
                    )
                    then 'nurture_lead_untouched'
            end
        ], null)) as rule (rule)
),

opportunity_issues as (
    select
        opportunities.opportunity_id as record_id,
        null::text as person_type,
        opportunities.source_system,
        opportunities.owner_id,
        rule.rule
    from opportunities
    cross join as_of
    cross join
        lateral (
            values
            (
                'opportunity_missing_amount',
                not opportunities.is_closed
                and opportunities.needs_amount
                and coalesce(opportunities.amount, 0) = 0
            ),
            (
                'opportunity_past_close_date',
                not opportunities.is_closed
                and opportunities.close_date < (as_of.as_of at time zone 'UTC')::date
            ),
            (
                'opportunity_stale',
                not opportunities.is_closed
                and as_of.as_of - opportunities.last_touched_at
                > make_interval(days => {{ var('stale_after_days') }})
            ),
            (
                'closed_without_reason',
                opportunities.is_closed
                and opportunities.reason_delivered
                and opportunities.win_loss_reason is null
            ),
            (
                'opportunity_closed_before_created',
                opportunities.is_closed
                and opportunities.close_date < (opportunities.created_at at time zone 'UTC')::date
            )
        ) as rule (rule, fires)
    where rule.fires
),

issues as (
    select
        record_id,
        person_type,
        source_system,
        owner_id,
        rule
    from lead_issues
    union all
    select
        record_id,
        person_type,
        source_system,
        owner_id,
        rule
    from opportunity_issues
)

select
    issues.rule,
    rules.record_type,
    issues.record_id,
    issues.person_type,
    issues.source_system,
    issues.owner_id,
    owners.team as owner_team,
    rules.severity,
    as_of.as_of
from issues
inner join {{ ref('hygiene_rules') }} as rules on issues.rule = rules.rule
left join {{ ref('int_users') }} as owners
    on issues.source_system = owners.source_system and issues.owner_id = owners.user_id
left join {{ ref('int_rules_not_applicable') }} as not_applicable
    on
        issues.source_system = not_applicable.source_system
        and issues.rule = not_applicable.rule
        and issues.person_type is not distinct from not_applicable.person_type
cross join as_of
where not_applicable.rule is null
