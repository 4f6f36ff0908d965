select
    campaign_id,
    'salesforce' as source_system,
    campaign_name,
    channel,
    actual_cost,
    start_date
from {{ ref('stg_salesforce__campaigns') }}
where {{ rv_readable() }}
union all
-- HubSpot campaigns have no channel; their cost is their spend.
select
    campaign_id,
    'hubspot' as source_system,
    campaign_name,
    null::text as channel,
    actual_cost,
    start_date
from {{ ref('stg_hubspot__campaigns') }}
where {{ rv_readable() }}
union all
-- Olist's landing pages are its campaigns; their cost is not delivered.
select distinct
    landing_page_id as campaign_id,
    'olist' as source_system,
    landing_page_id as campaign_name,
    'Landing page' as channel,
    null::numeric as actual_cost,
    null::date as start_date
from {{ ref('stg_olist__mqls') }}
where
    {{ rv_readable() }}
    and landing_page_id is not null
