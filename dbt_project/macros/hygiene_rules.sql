{#- The CRM hygiene rules are the rows of the hygiene_rules seed; what each one flags
    is its condition in marts/crm_hygiene_issues.sql. Everything else derives from
    the seed: the owner scorecard's per-rule columns and their comments, the batch
    the GX checks validate (checks/check_crm_hygiene.sql) and its expectations
    (revalign/checks/gx_checks.py), the alerts' text (revalign/checks/alerts.py). -#}

{#- The rules of the seed as built ([{rule, applies_to, description}], by record type
    then id);
    empty while dbt parses, when nothing is built yet. A model calling it declares
    `-- depends_on: {{ ref('hygiene_rules') }}`. -#}
{% macro rv_hygiene_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set found = run_query(
        "select rule, applies_to, description from " ~ ref('hygiene_rules')
        ~ " order by record_type, rule"
    ) -%}
    {%- set rules = [] -%}
    {%- for row in found.rows -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]*$', row[0]) -%}
            {{ exceptions.raise_compiler_error(
                "hygiene rule id '" ~ row[0] ~ "' of seeds/hygiene_rules.csv is not a lower-case identifier"
            ) }}
        {%- endif -%}
        {%- do rules.append({'rule': row[0], 'applies_to': row[1], 'description': row[2]}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- The records each value of the seed's applies_to stands for (METRICS.md), as a
    condition over a row of `records` (record_type, person_type, mql_at,
    acceptance_status, is_closed). A lead rule applies to persons of both types; a
    rejected lead is a lead (its reason field is a lead's). -#}
{% macro rv_hygiene_population(applies_to, records='records') -%}
    {%- set populations = {
        'lead': records ~ ".record_type = 'lead'",
        'mql': records ~ ".record_type = 'lead' and " ~ records ~ ".mql_at is not null",
        'rejected_lead': records ~ ".record_type = 'lead' and " ~ records ~ ".person_type = 'lead' and " ~ records ~ ".acceptance_status = 'rejected'",
        'open_opportunity': records ~ ".record_type = 'opportunity' and not " ~ records ~ ".is_closed",
        'closed_opportunity': records ~ ".record_type = 'opportunity' and " ~ records ~ ".is_closed",
    } -%}
    {%- if applies_to not in populations -%}
        {{ exceptions.raise_compiler_error(
            "applies_to '" ~ applies_to ~ "' of seeds/hygiene_rules.csv is none of "
            ~ (populations.keys() | join(', '))
        ) }}
    {%- endif -%}
    ({{ populations[applies_to] }})
{%- endmacro %}

{#- Post-hook of owner_hygiene_scorecard: each per-rule column described from the
    seed (persist_docs describes the columns its YAML lists). -#}
{% macro rv_comment_rule_columns() -%}
    {%- for rule in rv_hygiene_rules() %}
    {%- set text = "Issues of the rule " ~ rule.rule ~ " on the owner's records: " ~ rule.description %}
    comment on column {{ this }}.{{ adapter.quote(rule.rule) }} is '{{ text | replace("'", "''") }}';
    {%- endfor %}
    select 1
{%- endmacro %}
