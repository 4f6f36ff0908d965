{#- First sales touch of each MQL: the earliest activity on the lead or its converted
    contact, at or after mql_at, owned by a user whose department is in
    sales_departments (METRICS.md). -#}
select
    leads.lead_id,
    leads.source_system,
    min(activities.created_at) as first_touch_at
from {{ ref('int_leads') }} as leads
inner join {{ ref('int_lead_people') }} as people
    on leads.source_system = people.source_system and leads.lead_id = people.lead_id
inner join {{ ref('int_activities') }} as activities
    on people.source_system = activities.source_system and people.person_id = activities.who_id
inner join {{ ref('int_users') }} as users
    on activities.source_system = users.source_system and activities.owner_id = users.user_id
where
    users.is_sales
    and leads.mql_at is not null
    and activities.created_at >= leads.mql_at
group by leads.lead_id, leads.source_system
