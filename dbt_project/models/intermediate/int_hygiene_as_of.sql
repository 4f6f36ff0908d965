{#- The as_of of the latest build, kept (a table of one row): crm_hygiene_issues shows
    the issues at the moment its records were built at, not at a later load's
    extraction time (int_as_of reads the load ledger when no as_of is given). -#}
{#- Analysed as soon as built: without statistics PostgreSQL guessed 2,260 rows here, and
    planned every reader of crm_hygiene_issues for a thousand times its rows. -#}
{{ config(materialized='table', post_hook="{{ rv_analyze_when_stale() }}") }}

select as_of from {{ ref('int_as_of') }}
