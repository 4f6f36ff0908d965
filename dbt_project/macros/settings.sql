{#- Helpers that turn the settings of dbt_project.yml into SQL. -#}

{#- A list var as an SQL list of text literals: ('Sales', 'SDR'). -#}
{% macro rv_text_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- A timestamptz at midnight UTC of a date expression. -#}
{% macro rv_midnight_utc(expression) -%}
    ({{ expression }}::timestamp at time zone 'UTC')
{%- endmacro %}

{#- Calendar month (UTC) of a timestamptz, as the date of its first day. -#}
{% macro rv_month_of(expression) -%}
    date_trunc('month', {{ expression }} at time zone 'UTC')::date
{%- endmacro %}

{#- Non-blank text. -#}
{% macro rv_is_blank(expression) -%}
    (nullif(trim({{ expression }}), '') is null)
{%- endmacro %}

{#- A list var as an SQL text[]: array['Sales', 'SDR']::text[]. -#}
{% macro rv_text_array(values) -%}
    array[{%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}]::text[]
{%- endmacro %}

{#- SQL: what a person's status says of its acceptance (METRICS.md), by the status
    lists of its source (list vars: rejected_statuses and accepted_statuses, or a
    source's own): rejected, accepted, or null. -#}
{% macro rv_status_verdict(status, rejected, accepted) -%}
    case
        when {{ status }} in {{ rv_text_list(rejected) }} then 'rejected'
        when {{ status }} in {{ rv_text_list(accepted) }} then 'accepted'
    end
{%- endmacro %}

{#- The settings fct_attribution_credits computes with, as an SQL literal
    (rv_record_settings): a change of them recomputes every deal. -#}
{% macro rv_attribution_settings() -%}
    {{ return("'position_first_share=" ~ var('position_first_share')
        ~ ' position_last_share=' ~ var('position_last_share')
        ~ ' time_decay_half_life_days=' ~ var('time_decay_half_life_days') ~ "'") }}
{%- endmacro %}
