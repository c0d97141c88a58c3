# The newest hosting facts of each host now live in cases.HostFacts (what referrals read, written by tracing when
# a trace finds addresses). This fills it once from the traces recorded so far, with the same rule as
# tracing.selectors.summary_of: the newest attempt that found addresses (found_at, then trace id), its first
# address's facts, each missing one taken from the next address that has it.

from django.db import migrations

BATCH = 500


def summary(current):
    primary = current[0]
    return {
        "country": primary.country or next((o.country for o in current if o.country), ""),
        "asn": primary.asn if primary.asn is not None else next((o.asn for o in current if o.asn is not None), None),
        "network_name": primary.network_name or primary.as_org,
        "abuse_email": primary.abuse_email or next((o.abuse_email for o in current if o.abuse_email), ""),
        "holder": primary.holder or next((o.holder for o in current if o.holder), ""),
        "cdn_name": next((o.cdn_name for o in current if o.cdn_name), ""),
        "origin_hidden": any(o.origin_hidden for o in current),
        "found_at": primary.found_at,
        "method": primary.method,
        "ips": [o.ip for o in current],
        "trace_id": primary.trace_id,
    }


def fill(apps, schema_editor):
    HostingObservation = apps.get_model("tracing", "HostingObservation")
    HostFacts = apps.get_model("cases", "HostFacts")
    hosts = HostingObservation.objects.order_by("host").values_list("host", flat=True).distinct()
    rows = []
    for host in hosts.iterator(chunk_size=BATCH):
        newest = HostingObservation.objects.filter(host=host).order_by("-found_at", "-trace_id").first()
        current = list(
            HostingObservation.objects.filter(trace_id=newest.trace_id, found_at=newest.found_at).order_by("position")
        )
        rows.append(HostFacts(host=host, **summary(current)))
        if len(rows) >= BATCH:
            HostFacts.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    HostFacts.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("tracing", "0002_rdap_problems"),
        ("cases", "0011_host_facts"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
