{#- First sales touch of each MQL (macros/lead_facts.sql, METRICS.md). -#}
{{ rv_first_sales_touches(ref('int_leads')) }}
