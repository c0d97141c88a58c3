# The newest hosting facts of each host, kept by the cases app for the apps that act on them (referrals);
# tracing writes them through cases.services.record_host_facts (filled once by tracing.0003).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_reporter_message_and_partner_key_moved'),
    ]

    operations = [
        migrations.CreateModel(
            name='HostFacts',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('host', models.CharField(max_length=253, unique=True)),
                ('country', models.CharField(blank=True, max_length=2)),
                ('asn', models.PositiveBigIntegerField(blank=True, null=True)),
                ('network_name', models.CharField(blank=True, max_length=255)),
                ('abuse_email', models.CharField(blank=True, max_length=254)),
                ('holder', models.CharField(blank=True, max_length=255)),
                ('cdn_name', models.CharField(blank=True, max_length=100)),
                ('origin_hidden', models.BooleanField(default=False)),
                ('ips', models.JSONField(blank=True, default=list)),
                ('method', models.CharField(blank=True, max_length=40)),
                ('found_at', models.DateTimeField()),
                ('trace_id', models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                'verbose_name_plural': 'host facts',
            },
        ),
    ]
