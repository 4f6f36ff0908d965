{#- The people a lead is known as: the lead itself and, once converted, its contact.
    Activities and campaign touches of either count for the lead (METRICS.md). -#}
{{ rv_lead_people(ref('int_leads')) }}
