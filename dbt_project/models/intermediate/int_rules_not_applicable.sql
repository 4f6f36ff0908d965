{#- The hygiene rules that do not apply to a source's records (METRICS.md "Delivered,
    blank and missing"): a field the rule reads (seed hygiene_rules, fields) was
    never delivered by that source (ops.delivered_fields, written by load and build).
    A lead rule reads the same fields on a contact (contact.lead_source for
    lead.lead_source): it may apply to a source's leads and not to its contacts, so
    the rows of lead rules say which person_type (lead, contact) they are about;
    opportunity rules have a null person_type. Fields no source feeds
    (opportunity.last_touched_at: derived) never make a rule inapplicable. One row per
    source, rule and person type, with the fields missing. -#}
with rule_fields as (
    select
        rules.rule,
        persons.person_type,
        case
            when persons.person_type = 'contact'
                then regexp_replace(needed.field, '^lead\.', 'contact.')
            else needed.field
        end as field
    from {{ ref('hygiene_rules') }} as rules
    cross join lateral unnest(string_to_array(rules.fields, ' ')) as needed (field)
    left join (values ('lead'), ('contact')) as persons (person_type)
        on rules.record_type = 'lead'
)

select
    delivered.source as source_system,
    rule_fields.rule,
    rule_fields.person_type,
    array_agg(rule_fields.field order by rule_fields.field) as missing_fields
from rule_fields
inner join {{ source('ops', 'delivered_fields') }} as delivered
    on rule_fields.field = delivered.field
where
    not delivered.delivered
    -- sources with files loaded: one that delivered nothing yet has no records either
    and delivered.source in (
        select loaded.source from {{ source('ops', 'delivered_fields') }} as loaded
        where loaded.object_delivered
    )
    -- nor has a source any contact before it delivered contacts
    and (
        rule_fields.person_type is distinct from 'contact'
        or delivered.source in (
            select contacts.source from {{ source('ops', 'delivered_fields') }} as contacts
            where contacts.field like 'contact.%' and contacts.object_delivered
        )
    )
group by delivered.source, rule_fields.rule, rule_fields.person_type
