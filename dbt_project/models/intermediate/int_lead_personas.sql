{#- Persona of each lead (macros/lead_facts.sql, METRICS.md). -#}
{{ rv_lead_personas(ref('int_leads')) }}
