"""The audit log: one call per action worth remembering."""
from .models import AuditEntry


def audit_record(*, user, site, action: str, target: str = "", detail: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        user=user if user and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        site=site, action=action, target=target, detail=detail or {},
    )
