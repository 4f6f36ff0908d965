{#- Every hygiene issue a current record has or will have as time passes, one row per
    record and rule (METRICS.md, CRM hygiene rules): the rows crm_hygiene_issues shows
    at as_of, where breaks_after is null (the rule fires whatever the time) or earlier
    than as_of. Three rules move with as_of alone: nurture_lead_untouched (a nurture
    lead touched at last_touched_at is untouched for nurture_touch_days once as_of is
    past last_touched_at + that many days; never touched: always), opportunity_stale
    (open, as_of past last_touched_at + stale_after_days) and
    opportunity_past_close_date (open, CloseDate before as_of's date (UTC): as_of at
    or past midnight UTC after CloseDate, that is past the microsecond before it).
    Lead rules apply to persons of both types (person_type: lead or contact;
    record_type stays lead), except rejected_without_reason, which reads a lead-only
    field. A rule does not apply to a source's records while a field it reads was
    never delivered by that source (int_rules_not_applicable), nor where a record says
    its source keeps no such field (the *_delivered flags of int_leads and
    int_opportunities: a source may keep no lead owner before the deal). An owner id
    that is no user of the User extract counts as no owner. record_is_open is the
    record's own state, as owner_hygiene_scorecard counts it: a person neither
    converted nor rejected, an opportunity not closed.

    Incremental per record (macros/rewritten_records.sql): a build recomputes the
    persons fct_lead_funnel wrote or dropped since its last build and every person
    sharing an email key with them, now or before (duplicate_of names the first
    person of a duplicate's email: when it changes, its duplicates are recomputed),
    and the opportunities fct_opportunities wrote or dropped. Those marts rewrite a
    record whenever its fields, its owner's user record, as_of moving back or a
    field delivered change what a rule reads. What else the rules read (the
    hygiene_rules seed, the stage order, the rules not applicable and their settings:
    rv_hygiene_settings) recomputes every record when it changes. The pre-hook deletes
    the rows of the records a build recomputes, whose new rows are then appended. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['record_id']}],
    pre_hook=["{{ rv_without_jit() }}", "{{ rv_record_rebuild() }}", "{{ rv_stage_hygiene_records() }}"],
    post_hook=[
        "{{ rv_analyze_when_stale() }}",
        "{{ rv_record_written_rows() }}",
        "{{ rv_record_settings(rv_hygiene_settings()) }}",
    ],
) }}

with leads as (
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
        not funnel.is_converted and not funnel.has_rejected_status as is_open,
        owners.is_active as owner_is_active,
        owners.user_id is not null as owner_is_known
    from {{ ref('fct_lead_funnel') }} as funnel
    left join {{ ref('int_users') }} as owners
        on funnel.source_system = owners.source_system and funnel.owner_id = owners.user_id
    {%- if is_incremental() %}
        where (funnel.source_system, funnel.lead_id) in (
            select
                changed.source_system,
                changed.key
            from rv_hygiene_leads as changed
        )
    {%- endif %}
),

-- Only an email two persons share can make a duplicate: a few thousand of a million
-- to number, not all of them (materialized: computed once, not by every parallel
-- worker of the join that reads it).
shared_emails as materialized (
    select
        source_system,
        email_key
    from {{ ref('fct_lead_funnel') }}
    where
        email_key is not null
        {%- if is_incremental() %}
            and (source_system, email_key) in (
                select
                    keys.source_system,
                    keys.email_key
                from rv_hygiene_email_keys as keys
            )
        {%- endif %}
    group by source_system, email_key
    having count(*) > 1
),

earlier_same_email as (
    select
        funnel.lead_id,
        funnel.source_system,
        row_number() over same_email > 1 as is_duplicate,
        first_value(funnel.lead_id) over same_email as first_lead_id
    from {{ ref('fct_lead_funnel') }} as funnel
    inner join shared_emails
        on
            funnel.source_system = shared_emails.source_system
            and funnel.email_key = shared_emails.email_key
    window same_email as (
        partition by funnel.source_system, funnel.email_key
        order by funnel.created_at, funnel.lead_id
    )
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
    {%- if is_incremental() %}
        where (opportunities.source_system, opportunities.opportunity_id) in (
            select
                changed.source_system,
                changed.key
            from rv_hygiene_opportunities as changed
        )
    {%- endif %}
),

-- The rules a lead breaks whatever the time, as an array of their names: a lead
-- yields a row per rule it breaks, not one per rule to filter (six million rows at a
-- million leads).
lead_issues as (
    select
        leads.lead_id as record_id,
        leads.person_type,
        leads.source_system,
        leads.owner_id,
        rule.rule,
        null::timestamptz as breaks_after,
        case when rule.rule = 'lead_duplicate_email' then duplicates.first_lead_id end
            as duplicate_of,
        leads.is_open as record_is_open
    from leads
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
            end
        ], null)) as rule (rule)
    union all
    -- a nurture lead nobody touched (activity or campaign) for a while: from the
    -- moment nurture_touch_days have passed since its last touch
    select
        lead_id as record_id,
        person_type,
        source_system,
        owner_id,
        'nurture_lead_untouched' as rule,
        last_touched_at + make_interval(secs => {{ var('nurture_touch_days') }} * 86400)
            as breaks_after,
        null as duplicate_of,
        is_open as record_is_open
    from leads
    where is_nurture
),

opportunity_issues as (
    select
        opportunities.opportunity_id as record_id,
        null::text as person_type,
        opportunities.source_system,
        opportunities.owner_id,
        rule.rule,
        rule.breaks_after,
        null as duplicate_of,
        not opportunities.is_closed as record_is_open
    from opportunities
    cross join
        lateral (
            values
            (
                'opportunity_missing_amount',
                not opportunities.is_closed
                and opportunities.needs_amount
                and coalesce(opportunities.amount, 0) = 0,
                null::timestamptz
            ),
            (
                -- CloseDate < as_of's date (UTC): as_of at or after the midnight that
                -- ends CloseDate, past the microsecond before it
                'opportunity_past_close_date',
                not opportunities.is_closed and opportunities.close_date is not null,
                {{ rv_midnight_utc('(opportunities.close_date + 1)') }} - interval '1 microsecond'
            ),
            (
                'opportunity_stale',
                not opportunities.is_closed and opportunities.last_touched_at is not null,
                opportunities.last_touched_at
                + make_interval(secs => {{ var('stale_after_days') }} * 86400)
            ),
            (
                'closed_without_reason',
                opportunities.is_closed
                and opportunities.reason_delivered
                and opportunities.win_loss_reason is null,
                null::timestamptz
            ),
            (
                'opportunity_closed_before_created',
                opportunities.is_closed
                and opportunities.close_date < (opportunities.created_at at time zone 'UTC')::date,
                null::timestamptz
            )
        ) as rule (rule, fires, breaks_after)
    where rule.fires
),

issues as (
    select * from lead_issues
    union all
    select * from opportunity_issues
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
    issues.breaks_after,
    issues.duplicate_of,
    issues.record_is_open
from issues
inner join {{ ref('hygiene_rules') }} as rules on issues.rule = rules.rule
left join {{ ref('int_users') }} as owners
    on issues.source_system = owners.source_system and issues.owner_id = owners.user_id
left join {{ ref('int_rules_not_applicable') }} as not_applicable
    on
        issues.source_system = not_applicable.source_system
        and issues.rule = not_applicable.rule
        and issues.person_type is not distinct from not_applicable.person_type
where not_applicable.rule is null
