"""URLs of the network app: the protocol under /network/v1/ (docs/network-protocol.md), staff pages under /network/."""

from django.urls import path

from hotline.network import api, views

app_name = "network"
urlpatterns = [
    path("network/v1/identity", api.identity, name="identity"),
    path("network/v1/inbox", api.inbox, name="inbox"),
    path("network/v1/schemas/<str:name>.json", api.schema, name="schema"),
    path("network/partners/", views.partners, name="partners"),
    path("network/partners/fetch/", views.partner_fetch, name="partner_fetch"),
    path("network/partners/register/", views.partner_register, name="partner_register"),
    path("network/partners/<int:partner_id>/", views.partner_detail, name="partner_detail"),
    path("network/partners/<int:partner_id>/keys/<int:key_id>/retire/", views.key_retire, name="key_retire"),
    path("network/outbox/", views.outbox, name="outbox"),
    path("network/inbox/", views.inbox, name="inbox_list"),
]
