{#- One row per record owner (METRICS.md): hygiene_score = 1 - open records with at
    least one issue / open records owned. An open person (lead or contact) is neither
    converted (a contact: has an opportunity) nor rejected (a status in its source's
    rejected list: has_rejected_status); an open opportunity is not closed. The
    per-rule columns count every issue of the owner's records, open or not. Records
    without an owner are not here: they are listed in crm_hygiene_issues with a
    null owner_id and go to the data team. One count column per rule of the
    hygiene_rules seed, described from it (rv_comment_rule_columns).

    An owner is a person: someone with records in two CRMs (the same email in both
    user lists, int_users owner_key) has one row, named by their first id (by source,
    then id), with every id of theirs in owner_ids. -#}
{{ config(post_hook=["{{ rv_comment_rule_columns() }}"]) }}
-- depends_on: {{ ref('hygiene_rules') }}
{%- set rules = rv_hygiene_rules() | map(attribute='rule') | list %}
-- The open records each owner id owns, counted from the facts without a join (seven
-- million records at five million leads, grouped once), then per person below.
with open_by_id as (
    select
        source_system,
        owner_id,
        count(*) filter (where not is_converted and not has_rejected_status) as records_owned
    from {{ ref('fct_lead_funnel') }}
    where owner_id is not null
    group by source_system, owner_id
    union all
    select
        source_system,
        owner_id,
        count(*) filter (where not is_closed) as records_owned
    from {{ ref('fct_opportunities') }}
    where owner_id is not null
    group by source_system, owner_id
),

-- read twice, each time for what it needs (inlined: writing every issue to a
-- temporary store first cost more than both reads)
issues as not materialized (
    select * from {{ ref('crm_hygiene_issues') }}
    where owner_id is not null
),

-- Open records with at least one issue: the issues carry their record's open state
-- and owner (the fact's), so the issues alone count them.
flagged_records as (
    select distinct
        source_system,
        owner_id,
        record_type,
        record_id
    from issues
    where record_is_open
),

flagged_by_id as (
    select
        source_system,
        owner_id,
        count(*) as records_with_issues
    from flagged_records
    group by source_system, owner_id
),

owned_by_id as (
    select
        ids.source_system,
        ids.owner_id,
        sum(ids.records_owned) as records_owned,
        coalesce(max(flagged.records_with_issues), 0) as records_with_issues
    from open_by_id as ids
    left join flagged_by_id as flagged
        on ids.source_system = flagged.source_system and ids.owner_id = flagged.owner_id
    group by ids.source_system, ids.owner_id
),

per_rule_by_id as (
    select
        source_system,
        owner_id{% for rule in rules %},
        count(*) filter (where rule = '{{ rule }}') as {{ rule }}
        {%- endfor %}
    from issues
    group by source_system, owner_id
),

-- The person behind each owner id: one owner in every CRM they work in (int_users
-- owner_key, their email); an id that is no known user is an owner of its own.
owners as (
    select
        ids.source_system,
        ids.owner_id,
        coalesce(users.owner_key, ids.source_system || ':' || ids.owner_id) as owner_key
    from (
        select
            source_system,
            owner_id
        from owned_by_id
        union
        select
            source_system,
            owner_id
        from per_rule_by_id
    ) as ids
    left join {{ ref('int_users') }} as users
        on ids.source_system = users.source_system and ids.owner_id = users.user_id
),

-- each person's first id (by source, then id) names them in the scorecard
canonical as (
    select distinct on (owner_key)
        owner_key,
        source_system,
        owner_id
    from owners
    order by owner_key, source_system, owner_id
),

every_id as (
    select
        owner_key,
        array_agg(source_system || ':' || owner_id order by source_system, owner_id) as owner_ids
    from owners
    group by owner_key
),

owned as (
    select
        owners.owner_key,
        sum(by_id.records_owned) as records_owned,
        sum(by_id.records_with_issues) as records_with_issues
    from owned_by_id as by_id
    inner join owners
        on by_id.source_system = owners.source_system and by_id.owner_id = owners.owner_id
    group by owners.owner_key
),

per_rule as (
    -- one target while sqlfluff renders the seed's rules as none
    select -- noqa: LT09
        owners.owner_key{% for rule in rules %},
        sum(by_id.{{ rule }}) as {{ rule }}
        {%- endfor %}
    from per_rule_by_id as by_id
    inner join owners
        on by_id.source_system = owners.source_system and by_id.owner_id = owners.owner_id
    group by owners.owner_key
)

select
    canonical.owner_id,
    canonical.source_system,
    users.user_name as owner_name,
    users.team,
    coalesce(owned.records_owned, 0)::bigint as records_owned,
    coalesce(owned.records_with_issues, 0)::bigint as records_with_issues,
    round(1 - owned.records_with_issues::numeric / nullif(owned.records_owned, 0), 4)
        as hygiene_score{% for rule in rules %},
    coalesce(per_rule.{{ rule }}, 0)::bigint as {{ rule }}
    {%- endfor %},
    every_id.owner_ids
from canonical
inner join every_id on canonical.owner_key = every_id.owner_key
left join owned on canonical.owner_key = owned.owner_key
-- read by each rule's column (sqlfluff renders the seed's rules as none)
left join per_rule on canonical.owner_key = per_rule.owner_key -- noqa: ST11
left join {{ ref('int_users') }} as users
    on canonical.source_system = users.source_system and canonical.owner_id = users.user_id
