{#- Leads of every source in one shape (the persons of the funnel are these and the
    contacts created directly: int_persons). Emails stay out of it: email_key is a keyed
    hash of the trimmed, lower-cased address (rv_email_key), email_is_valid the
    METRICS.md form check.
    The *_delivered flags say whether a record's source keeps a field at all (Olist
    has no emails, and no lead owner before the deal); whether a source delivered a
    field is int_delivered_fields'. Records with values that could not be read stay
    out (rv_readable); an owner given by name is looked up in int_user_names. -#}
with salesforce as (
    select
        leads.lead_id,
        'salesforce' as source_system,
        nullif(trim(leads.lead_source), '') as lead_source,
        {{ rv_owner_id('leads.owner_id', 'leads.owner_name') }} as owner_id,
        leads.status,
        leads.created_at,
        leads.mql_at,
        leads.is_converted,
        leads.converted_contact_id,
        leads.converted_opportunity_id,
        leads.converted_account_id as account_id,
        nullif(trim(leads.persona), '') as persona_field,
        leads.title,
        nullif(trim(leads.disqualified_reason), '') as disqualified_reason,
        {{ rv_email_key('leads.email') }} as email_key,
        {{ rv_email_is_valid('leads.email') }} as email_is_valid,
        true as email_delivered,
        true as owner_delivered
    from {{ ref('stg_salesforce__leads') }} as leads
    where {{ rv_readable('leads') }}
),

-- Each MQL row is a lead; its closed deal, if any, is the opportunity it became
-- (datasets/README.md). Olist keeps no lead owner: its deal's SDR owns a won lead.
olist as (
    select
        mqls.mql_id as lead_id,
        'olist' as source_system,
        mqls.origin as lead_source,
        deals.sdr_id as owner_id,
        case when deals.mql_id is not null then 'Converted' end as status,
        {{ rv_midnight_utc('mqls.first_contact_date') }} as created_at,
        {{ rv_midnight_utc('mqls.first_contact_date') }} as mql_at,
        deals.mql_id is not null as is_converted,
        null::text as converted_contact_id,
        deals.mql_id as converted_opportunity_id,
        deals.seller_id as account_id,
        deals.lead_behaviour_profile as persona_field,
        null::text as title,
        null::text as disqualified_reason,
        null::text as email_key,
        null::boolean as email_is_valid,
        false as email_delivered,
        deals.mql_id is not null as owner_delivered
    from {{ ref('stg_olist__mqls') }} as mqls
    left join {{ ref('stg_olist__closed_deals') }} as deals
        on mqls.mql_id = deals.mql_id and {{ rv_readable('deals') }}
    where {{ rv_readable('mqls') }}
)

select * from salesforce
union all
select * from olist
