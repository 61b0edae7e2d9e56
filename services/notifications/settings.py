"""The notifications service's configuration: environment variables (or app config of the same name)
with safe local defaults. Durations are ISO-8601, so tests shrink a day of retries to seconds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared import config


@dataclass(frozen=True)
class Settings:
    public_url: str  # where people open the links in mails (the gateway)
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_security: str  # none, starttls, tls
    smtp_timeout: float
    email_retry: timedelta  # first retry delay; doubles per attempt
    email_retry_max: timedelta
    email_max_attempts: int
    webhook_allow_private: bool  # loopback/private webhook addresses (tests, the local run)
    webhook_retry_base: timedelta
    webhook_retry_max: timedelta
    webhook_retry_for: timedelta  # a delivery is retried for at least this long
    webhook_disable_after: timedelta  # a subscription failing this long is disabled
    webhook_timeout: float  # seconds for one attempt
    webhook_concurrency: int
    secret_overlap: timedelta  # a rotated secret still signs for this long
    job_interval: timedelta
    # How long a mail or webhook delivery claimed by a worker is its own: one left by a worker killed
    # mid-send is sent again after this (long enough for a batch to go out, short enough to catch up).
    send_lease: timedelta = timedelta(minutes=2)


def load(overrides: dict | None = None) -> Settings:
    def get(name: str, default: str) -> str:
        return config.setting(name, default, overrides)

    def dur(name: str, default: str) -> timedelta:
        return config.duration(name, default, overrides)

    security = get("NOTIFICATIONS_SMTP_SECURITY", "none").lower()
    if security not in ("none", "starttls", "tls"):
        raise ValueError("NOTIFICATIONS_SMTP_SECURITY must be none, starttls or tls")
    settings = Settings(
        public_url=get("NOTIFICATIONS_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
        mail_from=get("NOTIFICATIONS_MAIL_FROM", "MentorMeMed <no-reply@mentormemed.local>"),
        smtp_host=get("NOTIFICATIONS_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(get("NOTIFICATIONS_SMTP_PORT", str(config.MAIL_SINK_PORT))),
        smtp_username=config.setting("NOTIFICATIONS_SMTP_USERNAME", "", overrides) or None,
        smtp_password=config.setting("NOTIFICATIONS_SMTP_PASSWORD", "", overrides) or None,
        smtp_security=security,
        smtp_timeout=float(get("NOTIFICATIONS_SMTP_TIMEOUT", "10")),
        email_retry=dur("NOTIFICATIONS_EMAIL_RETRY", "PT30S"),
        email_retry_max=dur("NOTIFICATIONS_EMAIL_RETRY_MAX", "PT1H"),
        email_max_attempts=int(get("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", "8")),
        webhook_allow_private=config.flag("NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE", "off", overrides),
        webhook_retry_base=dur("NOTIFICATIONS_WEBHOOK_RETRY_BASE", "PT10S"),
        webhook_retry_max=dur("NOTIFICATIONS_WEBHOOK_RETRY_MAX", "PT1H"),
        webhook_retry_for=dur("NOTIFICATIONS_WEBHOOK_RETRY_FOR", "P1D"),
        webhook_disable_after=dur("NOTIFICATIONS_WEBHOOK_DISABLE_AFTER", "P2D"),
        webhook_timeout=float(get("NOTIFICATIONS_WEBHOOK_TIMEOUT", "10")),
        webhook_concurrency=int(get("NOTIFICATIONS_WEBHOOK_CONCURRENCY", "32")),
        secret_overlap=dur("NOTIFICATIONS_WEBHOOK_SECRET_OVERLAP", "P1D"),
        job_interval=dur("NOTIFICATIONS_JOB_INTERVAL", "PT1S"),
        send_lease=dur("NOTIFICATIONS_SEND_LEASE", "PT2M"),
    )
    if settings.email_max_attempts < 1 or settings.webhook_concurrency < 1:
        raise ValueError("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS and NOTIFICATIONS_WEBHOOK_CONCURRENCY must be at least 1")
    return settings
