{#- PostgreSQL's HMAC-SHA-256 of an email (dispatched from ../email_key.sql). -#}

{% macro postgres__rv_email_key(email) -%}
    {%- set secret = source('ops', 'email_key_secret') -%}
    encode(
        substring(
            sha256(
                (select outer_pad from {{ secret }})
                || sha256((select inner_pad from {{ secret }}) || convert_to({{ rv_email_address(email) }}, 'UTF8'))
            )
            from 1 for 16
        ),
        'hex'
    )
{%- endmacro %}
