{#- CRM users, every source. team is the field the var team_field names (default
    Division); is_sales says whether the user's department is in sales_departments.
    email is where hygiene alerts reach the user; it never reaches marts. -#}
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
)

select * from salesforce
union all
select * from olist
