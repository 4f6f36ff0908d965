{#- Why sales rejects MQLs: rejected persons by month of their MQL, reason, lead source
    and team (the owner's). A blank reason is '(none given)'; a contact, or a person of a
    source that never delivered a disqualified-reason field, has the reason null
    (unknown, not "none given": METRICS.md, Delivered, blank and missing). -#}
with rejected as (
    select
        funnel.*,
        funnel.person_type = 'lead' and coalesce(reasons.delivered, false)
            as reason_field_delivered
    from {{ ref('fct_lead_funnel') }} as funnel
    left join {{ ref('int_delivered_fields') }} as reasons
        on
            funnel.source_system = reasons.source_system
            and reasons.field = 'lead.disqualified_reason'
    where funnel.acceptance_status = 'rejected' and funnel.mql_at is not null
)

select
    {{ rv_month_of('mql_at') }} as month,
    case
        when reason_field_delivered then coalesce(disqualified_reason, '(none given)')
    end as reason,
    lead_source,
    owner_team as team,
    count(*) as rejected_mqls
from rejected
group by 1, 2, 3, 4
