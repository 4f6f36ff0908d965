{{ config(indexes=[{'columns': ['mql_id']}]) }}

{#- Olist delivers full snapshots: no cursor, the latest load of a record wins. -#}
with mqls as ({{ rv_newest_records('olist', 'mqls') }})

select
    mql_id,
    first_contact_date,
    landing_page_id,
    nullif(trim(origin), '') as origin,
    _key,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from mqls
