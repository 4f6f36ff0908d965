{#- Persona of each lead: its Persona field when set, else the first persona_rules
    pattern its job title matches, else Other (METRICS.md). -#}
with leads as (
    select
        lead_id,
        source_system,
        persona_field,
        title
    from {{ ref('int_leads') }}
),

matched as (
    select distinct on (leads.source_system, leads.lead_id)
        leads.source_system,
        leads.lead_id,
        rules.persona
    from leads
    inner join {{ ref('persona_rules') }} as rules on leads.title ~* rules.title_pattern
    where leads.persona_field is null
    order by leads.source_system, leads.lead_id, rules.rule_order
)

select
    leads.lead_id,
    leads.source_system,
    coalesce(leads.persona_field, matched.persona, 'Other') as persona
from leads
left join matched
    on leads.source_system = matched.source_system and leads.lead_id = matched.lead_id
