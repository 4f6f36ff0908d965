{#- The CRM hygiene rules are the rows of the hygiene_rules seed; what each one flags
    is its condition in intermediate/int_hygiene_issues.sql. Everything else derives from
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


{#- Pre-hook of int_hygiene_issues (rewritten_records.sql): temporary tables of the
    persons (rv_hygiene_leads) and opportunities (rv_hygiene_opportunities) to
    recompute, and of the email keys whose duplicates to number again
    (rv_hygiene_email_keys: those of the persons fct_lead_funnel wrote, now, and
    those whose first person it wrote or dropped, before); their rows leave. -#}
{% macro rv_stage_hygiene_records() -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set funnel = ref('fct_lead_funnel') -%}
    {%- set settings = rv_hygiene_settings() -%}
    {%- set leads = rv_written_since_built(funnel, 'lead_id', settings) -%}
    {%- set opportunities = rv_written_since_built(ref('fct_opportunities'), 'opportunity_id', settings) -%}
    {%- set everything = leads.everything or opportunities.everything -%}
    {%- set written_keys -%}
        select distinct funnel.source_system, funnel.email_key
        from {{ funnel }} as funnel
        inner join rv_hygiene_written_leads as written
            on funnel.source_system = written.source_system and funnel.lead_id = written.key
        where funnel.email_key is not null
        union
        select funnel.source_system, funnel.email_key
        from {{ this }} as issues
        inner join {{ funnel }} as funnel
            on funnel.source_system = issues.source_system and funnel.lead_id = issues.record_id
        where
            issues.duplicate_of is not null
            and (issues.source_system, issues.duplicate_of) in (
                select source_system, key from rv_hygiene_written_leads
            )
            and funnel.email_key is not null
    {%- endset -%}
    {%- set recomputed -%}
        select source_system, key from rv_hygiene_written_leads
        union
        select funnel.source_system, funnel.lead_id
        from {{ funnel }} as funnel
        inner join rv_hygiene_email_keys as keys
            on funnel.source_system = keys.source_system and funnel.email_key = keys.email_key
    {%- endset -%}
    {{ rv_temp_table('rv_hygiene_written_leads', leads.all if everything else leads.query) }}
    {{ rv_temp_table('rv_hygiene_email_keys', written_keys) }}
    {{ rv_temp_table('rv_hygiene_leads', recomputed) }}
    {{ rv_temp_table('rv_hygiene_opportunities',
        opportunities.all if everything else opportunities.query) }}
    {%- if everything %}
    delete from {{ this }}
    {%- else %}
    {{ rv_delete_records('rv_hygiene_leads', 'record_id', "built.record_type = 'lead'") }};
    {{ rv_delete_records('rv_hygiene_opportunities', 'record_id', "built.record_type = 'opportunity'") }}
    {%- endif %}
{%- endmacro %}

{#- What int_hygiene_issues reads besides the records, as an SQL expression
    (rv_record_settings): the rules' windows, the hygiene_rules seed, each source's
    stage order and the rules not applicable. A change recomputes every record. It
    also names the columns added to the model since it was first built incremental
    (record_is_open, 2026-12): an existing warehouse's next build recomputes every
    record once, which fills the new column (dbt adds it: append_new_columns). -#}
{% macro rv_hygiene_settings() -%}
    {{ return(
        "'columns_added=record_is_open nurture_touch_days=" ~ var('nurture_touch_days') ~ " stale_after_days=" ~ var('stale_after_days') ~ " '"
        ~ " || (select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from " ~ ref('hygiene_rules') ~ " as t)"
        ~ " || ' ' || (select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from "
        ~ "(select source_system, stage_name, needs_amount from " ~ ref('int_stage_order') ~ ") as t)"
        ~ " || ' ' || (select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from "
        ~ ref('int_rules_not_applicable') ~ " as t)"
    ) }}
{%- endmacro %}
