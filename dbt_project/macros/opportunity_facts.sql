{#- What is known about a set of opportunities, each as a query over relations or CTEs:
    `opportunities` (source_system, opportunity_id, origin_lead_id, created_at),
    `leads` (int_leads rows of their origin leads), `roles` (int_contact_roles rows
    of their contact roles), `people` (rv_opportunity_people of them) and `touches`
    (int_campaign_touches rows). The marts
    apply them to every opportunity (a full build) or to the few an incremental build
    recomputes, so one definition serves both (as lead_facts.sql for leads). -#}

{#- An opportunity's people (METRICS.md): its origin lead and that lead's converted
    contact, and every contact with a role on it. -#}
{% macro rv_opportunity_people(opportunities, leads, roles) %}
    select
        opportunities.source_system,
        opportunities.opportunity_id,
        people.person_id
    from {{ opportunities }} as opportunities
    inner join ({{ rv_lead_people(leads) }}) as people
        on
            opportunities.source_system = people.source_system
            and opportunities.origin_lead_id = people.lead_id
    union
    select
        opportunities.source_system,
        opportunities.opportunity_id,
        roles.contact_id as person_id
    from {{ opportunities }} as opportunities
    inner join {{ roles }} as roles
        on
            opportunities.source_system = roles.source_system
            and opportunities.opportunity_id = roles.opportunity_id
{% endmacro %}

{#- The campaign touches of an opportunity's people strictly before it was created:
    those that make it marketing-influenced and share its amount when it is won. A
    membership naming two of its people counts once. -#}
{% macro rv_opportunity_touches(opportunities, people, touches) %}
    select distinct
        opportunities.source_system,
        opportunities.opportunity_id,
        person_touches.touch_id,
        person_touches.campaign_id,
        person_touches.touched_at
    from {{ opportunities }} as opportunities
    inner join ({{ rv_people_touches(people, touches) }}) as person_touches
        on
            opportunities.source_system = person_touches.source_system
            and opportunities.opportunity_id = person_touches.opportunity_id
    where person_touches.touched_at < opportunities.created_at
{% endmacro %}

{#- The campaign touches of each of an opportunity's people (source_system,
    opportunity_id, touch_id, campaign_id, touched_at), joined to the person on their
    own (OFFSET 0): planned with the opportunities or their stages, PostgreSQL may join
    the touches to every opportunity or stage of their source (the only clause they
    share): at five million leads it estimated 15 billion rows for the opportunities
    and sorted to disk until the disk was full; fct_opportunity_stages' full build of a
    400-lead test took 10-70 s. -#}
{% macro rv_people_touches(people, touches) %}
    select
        people.source_system,
        people.opportunity_id,
        touches.touch_id,
        touches.campaign_id,
        touches.touched_at
    from {{ people }} as people
    inner join ({{ rv_touches_by_person(touches) }}) as touches
        on
            people.source_system = touches.source_system
            and people.person_id = touches.person_id
    offset 0
{% endmacro %}

{#- Campaign touches by the person they name: one row for the lead, one for the contact. -#}
{% macro rv_touches_by_person(touches) %}
    select touch_id, source_system, campaign_id, touched_at, lead_id as person_id
    from {{ touches }}
    where lead_id is not null
    union all
    select touch_id, source_system, campaign_id, touched_at, contact_id as person_id
    from {{ touches }}
    where contact_id is not null
{% endmacro %}
