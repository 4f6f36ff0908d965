{#- What is known about a set of leads, each as a query over `leads`: a relation or CTE
    with lead_id, source_system, converted_contact_id, mql_at, persona_field and title.
    The int_lead_* views apply them to every lead; fct_lead_funnel applies them to the
    leads an incremental build recomputes, so one definition serves both. There,
    `activities` and `touches` are the rows of just those leads (staged like
    int_activities and int_campaign_touches by the mart's pre-hook). -#}

{#- The people a lead is known as: the lead itself and, once converted, its contact. -#}
{% macro rv_lead_people(leads) %}
    select
        lead_id,
        source_system,
        lead_id as person_id
    from {{ leads }}
    union all
    select
        lead_id,
        source_system,
        converted_contact_id as person_id
    from {{ leads }}
    where converted_contact_id is not null
{% endmacro %}

{#- What the activities on each lead or its converted contact say, in one pass:
    first_touch_at, its first sales touch as an MQL (the earliest activity at or after
    mql_at, owned by a user whose department is in sales_departments: METRICS.md), and
    last_activity_at, the latest activity by anyone (with its latest campaign touch,
    what says a nurture lead is looked after: the nurture rule of the hygiene_rules
    seed). One row per lead with an activity. -#}
{% macro rv_activity_facts(leads, activities=none) %}
    select
        people.lead_id,
        people.source_system,
        min(activities.created_at) filter (
            where users.is_sales and activities.created_at >= mqls.mql_at
        ) as first_touch_at,
        max(activities.created_at) as last_activity_at
    from ({{ rv_lead_people(leads) }}) as people
    inner join {{ leads }} as mqls
        on people.source_system = mqls.source_system and people.lead_id = mqls.lead_id
    inner join {{ activities or ref('int_activities') }} as activities
        on people.source_system = activities.source_system and people.person_id = activities.who_id
    left join {{ ref('int_users') }} as users
        on activities.source_system = users.source_system and activities.owner_id = users.user_id
    group by people.lead_id, people.source_system
{% endmacro %}

{#- First sales touch of each MQL (rv_activity_facts), for the MQLs that have one. -#}
{% macro rv_first_sales_touches(leads, activities=none) %}
    select
        lead_id,
        source_system,
        first_touch_at
    from ({{ rv_activity_facts(leads, activities) }}) as facts
    where first_touch_at is not null
{% endmacro %}

{#- Campaign touches of each lead or its converted contact, numbered in time order
    (ties: campaign id, then touch id). A membership naming both the lead and its
    contact counts once. -#}
{% macro rv_lead_campaign_touches(leads, touches=none) %}
    select
        lead_id,
        source_system,
        touch_id,
        campaign_id,
        touched_at,
        row_number() over (
            partition by source_system, lead_id
            order by touched_at, campaign_id, touch_id
        ) as touch_number,
        count(*) over (partition by source_system, lead_id) as touches
    from (
        select distinct
            people.lead_id,
            people.source_system,
            touches.touch_id,
            touches.campaign_id,
            touches.touched_at
        from ({{ rv_lead_people(leads) }}) as people
        inner join ({{ rv_touches_by_person(touches or ref('int_campaign_touches')) }}) as touches
            on people.source_system = touches.source_system and people.person_id = touches.person_id
    ) as lead_touches
{% endmacro %}

{#- Persona of each lead: its Persona field when set, else the first persona_rules
    pattern its job title matches, else Other (METRICS.md). The patterns are matched
    once per distinct title, not once per lead: many leads share a title, and the
    regular expressions took a sixth of a full build of fct_lead_funnel. -#}
{% macro rv_lead_personas(leads) %}
    select
        leads.lead_id,
        leads.source_system,
        coalesce(leads.persona_field, titled.persona, 'Other') as persona
    from {{ leads }} as leads
    left join (
        select
            titles.title,
            (
                select rules.persona
                from {{ ref('persona_rules') }} as rules
                where titles.title ~* rules.title_pattern
                order by rules.rule_order
                limit 1
            ) as persona
        from (
            select distinct without_persona.title from {{ leads }} as without_persona
            where without_persona.persona_field is null
        ) as titles
    ) as titled
        on leads.title = titled.title
{% endmacro %}
