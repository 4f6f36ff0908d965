{#- One row per record owner (METRICS.md): hygiene_score = 1 - open records with at
    least one issue / open records owned. An open person (lead or contact) is neither
    converted (a contact: has an opportunity) nor rejected (status in
    rejected_statuses); an open opportunity is not closed. The
    per-rule columns count every issue of the owner's records, open or not. Records
    without an owner are not here: they are listed in crm_hygiene_issues with a
    null owner_id and go to the data team. One count column per rule of the
    hygiene_rules seed, described from it (rv_comment_rule_columns). -#}
{{ config(post_hook=["{{ rv_comment_rule_columns() }}"]) }}
-- depends_on: {{ ref('hygiene_rules') }}
{%- set rules = rv_hygiene_rules() | map(attribute='rule') | list %}
with records as (
    select
        'lead' as record_type,
        lead_id as record_id,
        source_system,
        owner_id,
        not is_converted
        and coalesce(status not in {{ rv_text_list(var('rejected_statuses')) }}, true) as is_open
    from {{ ref('fct_lead_funnel') }}
    where owner_id is not null
    union all
    select
        'opportunity' as record_type,
        opportunity_id as record_id,
        source_system,
        owner_id,
        not is_closed as is_open
    from {{ ref('fct_opportunities') }}
    where owner_id is not null
),

issues as (
    select * from {{ ref('crm_hygiene_issues') }}
    where owner_id is not null
),

flagged as (
    select distinct
        record_type,
        record_id,
        source_system
    from issues
),

owned as (
    select
        records.source_system,
        records.owner_id,
        count(*) filter (where records.is_open) as records_owned,
        count(flagged.record_id) filter (where records.is_open) as records_with_issues
    from records
    left join flagged
        on
            records.source_system = flagged.source_system
            and records.record_type = flagged.record_type
            and records.record_id = flagged.record_id
    group by records.source_system, records.owner_id
),

per_rule as (
    select
        source_system,
        owner_id{% for rule in rules %},
        count(*) filter (where rule = '{{ rule }}') as {{ rule }}
        {%- endfor %}
    from issues
    group by source_system, owner_id
)

select
    owned.owner_id,
    owned.source_system,
    users.user_name as owner_name,
    users.team,
    owned.records_owned,
    owned.records_with_issues,
    round(1 - owned.records_with_issues::numeric / nullif(owned.records_owned, 0), 4)
        as hygiene_score{% for rule in rules %},
    coalesce(per_rule.{{ rule }}, 0) as {{ rule }}
    {%- endfor %}
from owned
-- read by each rule's column (sqlfluff renders the seed's rules as none)
left join per_rule -- noqa: ST11
    on owned.source_system = per_rule.source_system and owned.owner_id = per_rule.owner_id
left join {{ ref('int_users') }} as users
    on owned.source_system = users.source_system and owned.owner_id = users.user_id
