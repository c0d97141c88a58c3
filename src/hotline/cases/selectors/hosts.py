"""What cases keeps of the hosts of its cases (HostFacts, written by tracing through services.record_host_facts)."""

from __future__ import annotations

from hotline.cases.models import HostFacts


def host_facts(*, host: str) -> HostFacts | None:
    """The newest hosting facts of a host (services.record_host_facts), or None when no trace found any."""
    return HostFacts.objects.filter(host=host).first() if host else None
