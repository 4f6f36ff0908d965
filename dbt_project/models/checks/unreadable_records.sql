{{ config(schema='ops') }}
{#- Records kept out of the marts because a delivered value could not be read as its
    declared type (METRICS.md: a few bad records never block everyone else's figures):
    their source, object, identity, the file and row of their current version, the
    fields that failed and why. The intermediate layer leaves them out (rv_readable);
    the cast_failures tests fail a build only above cast_failure_error_share, naming
    them from here. -#}
{%- set staged = [
    ('salesforce', 'User', 'stg_salesforce__users'),
    ('salesforce', 'Campaign', 'stg_salesforce__campaigns'),
    ('salesforce', 'CampaignMember', 'stg_salesforce__campaign_members'),
    ('salesforce', 'Lead', 'stg_salesforce__leads'),
    ('salesforce', 'Task', 'stg_salesforce__tasks'),
    ('salesforce', 'Event', 'stg_salesforce__events'),
    ('salesforce', 'Opportunity', 'stg_salesforce__opportunities'),
    ('salesforce', 'OpportunityHistory', 'stg_salesforce__opportunity_history'),
    ('salesforce', 'OpportunityStage', 'stg_salesforce__opportunity_stages'),
    ('salesforce', 'Account', 'stg_salesforce__accounts'),
    ('salesforce', 'Contact', 'stg_salesforce__contacts'),
    ('salesforce', 'OpportunityContactRole', 'stg_salesforce__opportunity_contact_roles'),
    ('hubspot', 'owners', 'stg_hubspot__owners'),
    ('hubspot', 'campaigns', 'stg_hubspot__campaigns'),
    ('hubspot', 'contacts', 'stg_hubspot__contacts'),
    ('hubspot', 'companies', 'stg_hubspot__companies'),
    ('hubspot', 'deal_pipelines', 'stg_hubspot__deal_stages'),
    ('hubspot', 'deals', 'stg_hubspot__deals'),
    ('hubspot', 'calls', 'stg_hubspot__calls'),
    ('hubspot', 'emails', 'stg_hubspot__emails'),
    ('hubspot', 'meetings', 'stg_hubspot__meetings'),
    ('hubspot', 'tasks', 'stg_hubspot__tasks'),
    ('hubspot', 'email_events', 'stg_hubspot__email_events'),
    ('hubspot', 'form_submissions', 'stg_hubspot__form_submissions'),
    ('olist', 'mqls', 'stg_olist__mqls'),
    ('olist', 'closed_deals', 'stg_olist__closed_deals'),
    ('plan', 'Targets', 'stg_plan__targets'),
] %}
{%- for source_name, object_name, model in staged %}
    -- distinct: HubSpot's engagements and deal contacts have a row per association
    select distinct
        '{{ source_name }}' as source_system,
        '{{ object_name }}' as object,
        '{{ model }}' as staging_model,
        _key as record_key,
        _file as file_name,
        _row_number as row_number,
        _invalid_fields as fields,
        'a value that cannot be read as its declared type in '
        || array_to_string(_invalid_fields, ', ') as reason
    from {{ ref(model) }}
    where not {{ rv_readable() }}
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
