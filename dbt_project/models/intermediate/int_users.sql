{#- CRM users, every source. Salesforce: team is the field the var team_field names
    (default Division); is_sales says whether the user's department is in
    sales_departments. HubSpot (owners): team is the owner's first team, department
    too, and is_sales says whether one of their teams is in hubspot_sales_teams.
    email is where hygiene alerts reach the user; it never reaches marts. owner_key
    is the person (their email), the same in every CRM they use. -#}
with salesforce as (
    select
        user_id,
        'salesforce' as source_system,
        user_name,
        email,
        is_active,
        department,
        {{ var('team_field') | lower }} as team,
        coalesce(department in {{ rv_text_list(var('sales_departments')) }}, false) as is_sales
    from {{ ref('stg_salesforce__users') }}
    where {{ rv_readable() }}
),

hubspot as (
    select
        owner_id as user_id,
        'hubspot' as source_system,
        owner_name as user_name,
        email,
        is_active,
        teams[1] as department,
        teams[1] as team,
        coalesce(teams && {{ rv_text_array(var('hubspot_sales_teams')) }}, false) as is_sales
    from {{ ref('stg_hubspot__owners') }}
    where {{ rv_readable() }}
),

-- Olist names its sales reps (sr_id) and development reps (sdr_id) only by id.
olist as (
    select distinct
        rep.user_id,
        'olist' as source_system,
        null::text as user_name,
        null::text as email,
        true as is_active,
        'Sales' as department,
        null::text as team,
        true as is_sales
    from {{ ref('stg_olist__closed_deals') }} as deals
    cross join lateral (values (deals.sr_id), (deals.sdr_id)) as rep (user_id)
    where rep.user_id is not null
),

users as (
    select * from salesforce
    union all
    select * from hubspot
    union all
    select * from olist
)

-- owner_key: the person behind the user, so that someone who owns records in two CRMs
-- is one owner (the scorecard, the alerts): their email, trimmed and lower-cased; a
-- user without one is themself
select
    users.*,
    coalesce(
        nullif({{ rv_email_address('users.email') }}, ''),
        users.source_system || ':' || users.user_id
    ) as owner_key
from users
