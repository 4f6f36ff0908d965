{#- The hygiene rules that do not apply to a source's records (METRICS.md "Delivered,
    blank and missing"): a field the rule reads (seed hygiene_rules, fields) was
    never delivered by that source (ops.delivered_fields, written by load and build).
    Fields no source feeds (opportunity.last_touched_at: derived) never make a rule
    inapplicable. One row per source and rule, with the fields missing. -#}
select
    delivered.source as source_system,
    rules.rule,
    array_agg(needed.field order by needed.field) as missing_fields
from {{ ref('hygiene_rules') }} as rules
cross join lateral unnest(string_to_array(rules.fields, ' ')) as needed (field)
inner join {{ source('ops', 'delivered_fields') }} as delivered
    on needed.field = delivered.field
where
    not delivered.delivered
    -- sources with files loaded: one that delivered nothing yet has no records either
    and delivered.source in (
        select loaded.source from {{ source('ops', 'delivered_fields') }} as loaded
        where loaded.object_delivered
    )
group by delivered.source, rules.rule
