"""Sending email: the SMTP settings from the environment and one message sent with them (standard library only).

JOBMETRICS_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM and _TLS (none, starttls or ssl; default starttls). A failure
is raised as MailFailed with a reason that never holds the password.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
TIMEOUT_SECONDS = 10.0


class MailNotConfigured(Exception):
    """A setting is missing or wrong; str() names it and what to set."""


class MailFailed(Exception):
    """The server could not be reached or refused the message; str() says why, without the password."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def settings_from_env() -> SmtpSettings:
    host = os.environ.get("JOBMETRICS_SMTP_HOST")
    sender = os.environ.get("JOBMETRICS_SMTP_FROM")
    if not host or not sender:
        missing = " and ".join(name for name, value in (("HOST", host), ("FROM", sender)) if not value)
        raise MailNotConfigured(f"set JOBMETRICS_SMTP_{missing} (and _PORT, _USER, _PASSWORD, _TLS as needed)")
    tls = os.environ.get("JOBMETRICS_SMTP_TLS", "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise MailNotConfigured(f"JOBMETRICS_SMTP_TLS is {tls!r}; use one of {', '.join(TLS_MODES)}")
    port_text = os.environ.get("JOBMETRICS_SMTP_PORT") or str(DEFAULT_PORTS[tls])
    if not port_text.isdigit():
        raise MailNotConfigured(f"JOBMETRICS_SMTP_PORT is {port_text!r}; it must be a port number")
    return SmtpSettings(
        host=host,
        port=int(port_text),
        sender=sender,
        tls=tls,
        user=os.environ.get("JOBMETRICS_SMTP_USER") or None,
        password=os.environ.get("JOBMETRICS_SMTP_PASSWORD") or None,
    )


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message; MailFailed when the server is unreachable, refuses the login or the message."""
    del message["From"]
    message["From"] = settings.sender
    context = ssl.create_default_context()
    try:
        if settings.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailFailed(
            f"{settings.host}:{settings.port} refused the login of {settings.user} ({error.smtp_code})"
        ) from None
    except smtplib.SMTPException as error:
        raise MailFailed(f"{settings.host}:{settings.port} refused the message: {one_line(error)}") from None
    except (TimeoutError, OSError, ssl.SSLError) as error:
        raise MailFailed(f"could not reach {settings.host}:{settings.port}: {one_line(error)}") from None


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
