{#- What the alerts send (revalign/checks/alerts.py): each open hygiene issue with its
    rule's words from the hygiene_rules seed and its owner's name, email, status and
    person (owner_key),
    so that the alerts read one view of the checks and no staging or intermediate
    table. record_type says contact for a contact's issue under a lead rule, as the
    alerts show it. -#}
select
    issues.rule,
    coalesce(issues.person_type, issues.record_type) as record_type,
    issues.record_id,
    issues.source_system,
    issues.owner_id,
    owners.user_name as owner_name,
    owners.email as owner_email,
    coalesce(owners.is_active, false) as owner_is_active,
    -- the person behind the owner id, the same in every CRM they work in (int_users)
    coalesce(owners.owner_key, issues.source_system || ':' || issues.owner_id) as owner_key,
    issues.severity,
    rules.description,
    rules.how_to_fix
from {{ ref('crm_hygiene_issues') }} as issues
inner join {{ ref('hygiene_rules') }} as rules on issues.rule = rules.rule
left join {{ ref('int_users') }} as owners
    on
        issues.source_system = owners.source_system
        and issues.owner_id = owners.user_id
