{#- Whether each source delivered each funnel field (seed funnel_fields) in any loaded
    file: the figures that need a field never delivered are null for that source's
    records (METRICS.md "Delivered, blank and missing"). One row per source and field. -#}
select
    source as source_system,
    field,
    delivered
from {{ source('ops', 'delivered_fields') }}
