{#- Every current account of every source. A new source adds its branch here. -#}
select
    accounts.account_id,
    'salesforce' as source_system,
    accounts.account_name,
    {{ rv_owner_id('accounts.owner_id', 'accounts.owner_name') }} as owner_id,
    accounts.created_at
from {{ ref('stg_salesforce__accounts') }} as accounts
where {{ rv_readable('accounts') }}
union all
select
    companies.account_id,
    'hubspot' as source_system,
    companies.account_name,
    {{ rv_owner_id('companies.owner_id', 'companies.owner_name', "'hubspot'") }} as owner_id,
    companies.created_at
from {{ ref('stg_hubspot__companies') }} as companies
where {{ rv_readable('companies') }}
