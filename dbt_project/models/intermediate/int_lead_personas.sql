{#- Persona of each lead (macros/lead_facts.sql, METRICS.md). The marts call the macro
    on the rows they build; this view applies it to every lead so that dbt's unit
    tests (_intermediate__unit_tests.yml) can test it. A view: it costs nothing until
    read. -#}
{{ rv_lead_personas(ref('int_leads')) }}
