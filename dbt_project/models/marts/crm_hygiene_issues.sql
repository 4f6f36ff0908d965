{#- One row per current record and hygiene rule it breaks, at as_of (METRICS.md, CRM
    hygiene rules): the issues of int_hygiene_issues that hold at the as_of of the
    latest build (int_hygiene_as_of), where each rule is defined. A view: the rules
    that move with time alone fire here as as_of passes their moment, so that a build
    rewrites only the records that changed, not a row per issue for a new as_of. -#}
{{ config(materialized='view') }}

select
    issues.rule,
    issues.record_type,
    issues.record_id,
    issues.person_type,
    issues.source_system,
    issues.owner_id,
    issues.owner_team,
    issues.severity,
    as_of.as_of,
    issues.record_is_open
from {{ ref('int_hygiene_issues') }} as issues
cross join {{ ref('int_hygiene_as_of') }} as as_of
where issues.breaks_after is null or as_of.as_of > issues.breaks_after
