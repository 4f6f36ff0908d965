{#- The people a lead is known as: the lead itself and, once converted, its contact.
    Activities and campaign touches of either count for the lead (METRICS.md). -#}
select
    lead_id,
    source_system,
    lead_id as person_id
from {{ ref('int_leads') }}
union all
select
    lead_id,
    source_system,
    converted_contact_id as person_id
from {{ ref('int_leads') }}
where converted_contact_id is not null
