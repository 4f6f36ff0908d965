{#- The batch the crm_hygiene GX suite validates (revalign/checks/gx_checks.py): one row per
    current lead and opportunity, one boolean column per rule of the hygiene_rules
    seed: true where marts.crm_hygiene_issues lists the record under the rule, false
    where the rule applies (the seed's applies_to) and does not fire, null where it
    does not apply: outside applies_to, or a field it reads never delivered by the
    record's source (int_rules_not_applicable). So each rule's failing share is over
    the records it applies to. -#}
-- depends_on: {{ ref('hygiene_rules') }}
with issues as (
    select
        record_type,
        record_id,
        source_system,
        array_agg(rule) as rules
    from {{ ref('crm_hygiene_issues') }}
    group by record_type, record_id, source_system
),

not_applicable as (
    select
        source_system,
        person_type,
        array_agg(rule) as rules
    from {{ ref('int_rules_not_applicable') }}
    group by source_system, person_type
),

records as (
    select
        'lead' as record_type,
        lead_id as record_id,
        person_type,
        source_system,
        mql_at,
        acceptance_status,
        null::boolean as is_closed
    from {{ ref('fct_lead_funnel') }}
    union all
    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        null::text as person_type,
        source_system,
        null::timestamptz as mql_at,
        null::text as acceptance_status,
        is_closed
    from {{ ref('fct_opportunities') }}
)

select
    records.record_type,
    records.record_id,
    records.source_system{% for rule in rv_hygiene_rules() %},
    {% set fires = "'" ~ rule.rule ~ "' = any(coalesce(issues.rules, '{}'))" -%}
    case
        when '{{ rule.rule }}' = any(coalesce(not_applicable.rules, '{}')) then null
        when {{ rv_hygiene_population(rule.applies_to) }} or {{ fires }} then {{ fires }}
    end as {{ rule.rule }}
    {%- endfor %}
from records
-- read by each rule's column (sqlfluff renders the seed's rules as none)
left join issues -- noqa: ST11
    on
        records.record_type = issues.record_type
        and records.record_id = issues.record_id
        and records.source_system = issues.source_system
left join not_applicable -- noqa: ST11
    on
        records.source_system = not_applicable.source_system
        and records.person_type is not distinct from not_applicable.person_type
