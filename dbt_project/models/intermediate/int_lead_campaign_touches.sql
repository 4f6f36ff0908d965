{#- Campaign touches of each lead or its converted contact, in time order
    (macros/lead_facts.sql). -#}
{{ rv_lead_campaign_touches(ref('int_leads')) }}
