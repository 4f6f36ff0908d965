{#- The as_of of the latest build, kept (a table of one row): crm_hygiene_issues shows
    the issues at the moment its records were built at, not at a later load's
    extraction time (int_as_of reads the load ledger when no as_of is given). -#}
{{ config(materialized='table') }}

select as_of from {{ ref('int_as_of') }}
