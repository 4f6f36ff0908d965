"""Secrets never printed: what revalign's output, logs and errors show of passwords and tokens.

Every secret revalign is given (the passwords in its settings and URLs, the Slack and
webhook URLs, whose paths are tokens, the email key's secret) is masked as ``***``:
``revalign settings`` shows them masked (``--show-secrets`` is the only way to see
them), the command line's log handler and one-line errors pass through ``redact()``,
and in Airflow tasks Airflow's own secrets masker is told each of them
(``mask_in_airflow()``), so task logs mask them too.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from revalign import settings

MASK = "***"

#: ``scheme://user:password@host``: the password, whatever URL it appears in.
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)@")
#: Slack incoming webhooks: everything after /services/ is the token.
_SLACK_TOKEN = re.compile(r"(/services/)[^\s\"'<>]+")
#: Query parameters that carry credentials.
_SECRET_PARAM = re.compile(
    r"(?i)([?&](?:password|passwd|pwd|token|secret|key|api_key|apikey|signature|sig)=)[^&\s\"']+"
)


def masked_url(url: str, hide_path: bool = False) -> str:
    """The URL with its password (and credential parameters) masked; its path too when
    the path is itself a token (Slack's and other webhooks)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(":" + parts.password + "@", f":{MASK}@", 1)
    path = f"/{MASK}" if hide_path and parts.path not in ("", "/") else parts.path
    query = _SECRET_PARAM.sub(rf"\g<1>{MASK}", "?" + parts.query)[1:] if parts.query else ""
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def shown_value(setting: settings.Setting, value: str | None) -> str | None:
    """How ``revalign settings`` shows a setting's current value."""
    if value is None or setting.secret is None:
        return value
    if setting.secret == "value":
        return "(set)"
    return masked_url(value, hide_path=setting.secret == "url-path")


def secret_values() -> list[str]:
    """Every secret string configured now, longest first (so a URL is masked before its parts)."""
    found: set[str] = set()
    for setting in settings.SETTINGS:
        value = settings.current_value(setting)
        if value is None or setting.secret is None:
            continue
        if setting.secret == "value":
            found.add(value)
            continue
        parts = urlsplit(value)
        if parts.password:
            found |= {parts.password, unquote(parts.password)}
        for name, item in parse_qsl(parts.query):
            if _SECRET_PARAM.search(f"?{name}=x"):
                found.add(item)
        if setting.secret == "url-path" and parts.path not in ("", "/"):
            found |= {value, parts.path, parts.path.strip("/")}
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every configured secret (``secrets``, else ``secret_values()``), URL
    password and webhook token masked."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    text = _SLACK_TOKEN.sub(rf"\g<1>{MASK}", text)
    return _SECRET_PARAM.sub(rf"\g<1>{MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in each record's message (on a handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secret_values()
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(trace, secrets)
            record.exc_info = None
        return True


def guard_logs() -> None:
    """Mask secrets in everything this process logs, Airflow's hooks included.

    Importing Airflow replaces the root logger's handlers (its logging configuration),
    and its own masking filter sits on the ``airflow.task`` logger, which records of
    child loggers (a Slack hook logging the webhook URL it retries) pass by. So Airflow
    is configured first, then every root handler gets revalign's filter, and Airflow's
    maskers learn the secrets too.
    """
    import airflow  # noqa: F401 - configures Airflow's logging, once
    import structlog

    mask_in_airflow()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    # Airflow's hooks log through structlog, whose chain writes straight out: mask the
    # event just before it is rendered (the last processor).
    processors = list(structlog.get_config()["processors"])
    if processors and redact_event not in processors:
        structlog.configure(processors=[*processors[:-1], redact_event, processors[-1]])


def redact_event(logger, method_name: str, event_dict: dict) -> dict:
    """A structlog processor: ``redact()`` on every text value of the event."""
    secrets = secret_values()  # once per event, not once per value
    return {k: redact(v, secrets) if isinstance(v, str) else v for k, v in event_dict.items()}


def mask_in_airflow() -> None:
    """Tell Airflow's secrets maskers every configured secret, and have them mask this
    process's logs: the Task SDK's (task logs) and Airflow core's (the log handlers of a
    command-line process, where Airflow's hooks log the URLs they call)."""
    from airflow._shared.secrets_masker import SecretsMasker as CoreMasker
    from airflow._shared.secrets_masker import mask_secret as mask_in_core
    from airflow.sdk._shared.secrets_masker import SecretsMasker as TaskMasker
    from airflow.sdk.log import mask_secret as mask_in_task

    CoreMasker.enable_log_masking()
    TaskMasker.enable_log_masking()
    for secret in secret_values():
        mask_in_task(secret)
        mask_in_core(secret)
