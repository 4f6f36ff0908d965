{#- What the notices to sales send (revalign/checks/notices.py; METRICS.md, Notices to
    sales): one row per campaign, owner and account the campaign reaches that the owner
    must hear about. A campaign reaches an account when one of its members is a
    contact of the account or a lead converted into it; an account counts when it is a
    customer (a won opportunity) or has an open opportunity; its owner and the owners
    of its open opportunities are told. With the campaign's name, type and start date
    (a campaign known in advance is announced before it starts), the account's people
    in the campaign and its open opportunities. In the intermediate schema: owners'
    emails stay out of the BI role's reach. -#}
with people as (
    select
        source_system,
        contact_id as person_id,
        account_id
    from {{ ref('int_contacts') }}
    where account_id is not null
    union all
    select
        source_system,
        lead_id as person_id,
        account_id
    from {{ ref('int_leads') }}
    where account_id is not null
),

members as (
    select distinct
        touches.source_system,
        touches.campaign_id,
        people.account_id,
        touches.person_id
    from ({{ rv_touches_by_person(ref('int_campaign_touches')) }}) as touches
    inner join people
        on
            touches.source_system = people.source_system
            and touches.person_id = people.person_id
),

open_opportunities as (
    select
        source_system,
        account_id,
        opportunity_id,
        owner_id
    from {{ ref('fct_opportunities') }}
    where not is_closed and account_id is not null
),

worked_accounts as (
    select
        accounts.source_system,
        accounts.account_id,
        accounts.account_name,
        accounts.owner_id,
        accounts.is_customer
    from {{ ref('account_funnel') }} as accounts
    where
        accounts.is_customer
        or exists (
            select 1 from open_opportunities as open
            where
                open.source_system = accounts.source_system
                and open.account_id = accounts.account_id
        )
),

account_owners as (
    select
        source_system,
        account_id,
        owner_id
    from worked_accounts
    where owner_id is not null
    union
    select
        source_system,
        account_id,
        owner_id
    from open_opportunities
    where owner_id is not null
),

reached as (
    select
        members.source_system,
        members.campaign_id,
        members.account_id,
        array_agg(distinct members.person_id order by members.person_id) as person_ids
    from members
    inner join worked_accounts
        on
            members.source_system = worked_accounts.source_system
            and members.account_id = worked_accounts.account_id
    group by members.source_system, members.campaign_id, members.account_id
),

account_opportunities as (
    select
        source_system,
        account_id,
        array_agg(opportunity_id order by opportunity_id) as open_opportunity_ids
    from open_opportunities
    group by source_system, account_id
)

select
    reached.source_system,
    reached.campaign_id,
    campaigns.campaign_name,
    campaigns.channel as campaign_type,
    campaigns.start_date as campaign_start_date,
    account_owners.owner_id,
    owners.user_name as owner_name,
    owners.email as owner_email,
    coalesce(owners.is_active, false) as owner_is_active,
    coalesce(owners.owner_key, reached.source_system || ':' || account_owners.owner_id)
        as owner_key,
    reached.account_id,
    worked_accounts.account_name,
    worked_accounts.is_customer,
    reached.person_ids,
    coalesce(account_opportunities.open_opportunity_ids, '{}') as open_opportunity_ids
from reached
inner join worked_accounts
    on
        reached.source_system = worked_accounts.source_system
        and reached.account_id = worked_accounts.account_id
inner join account_owners
    on
        reached.source_system = account_owners.source_system
        and reached.account_id = account_owners.account_id
inner join {{ ref('int_campaigns') }} as campaigns
    on
        reached.source_system = campaigns.source_system
        and reached.campaign_id = campaigns.campaign_id
left join account_opportunities
    on
        reached.source_system = account_opportunities.source_system
        and reached.account_id = account_opportunities.account_id
left join {{ ref('int_users') }} as owners
    on
        account_owners.source_system = owners.source_system
        and account_owners.owner_id = owners.user_id
