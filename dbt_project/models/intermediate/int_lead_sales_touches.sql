{#- First sales touch of each MQL (macros/lead_facts.sql, METRICS.md). The marts call
    the macro on the rows they build; this view applies it to every lead so that
    dbt's unit tests (marts/_marts__unit_tests.yml) can test it. A view: it costs
    nothing until read. -#}
{{ rv_first_sales_touches(ref('int_leads')) }}
