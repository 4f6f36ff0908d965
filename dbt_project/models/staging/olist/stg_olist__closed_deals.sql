{{ config(indexes=[{'columns': ['mql_id']}]) }}

with deals as ({{ rv_newest_records('olist', 'closed_deals') }})

select
    mql_id,
    seller_id,
    sdr_id,
    sr_id,
    won_date as won_at,
    business_segment,
    lead_type,
    nullif(trim(lead_behaviour_profile), '') as lead_behaviour_profile,
    business_type,
    declared_monthly_revenue,
    _key,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from deals
