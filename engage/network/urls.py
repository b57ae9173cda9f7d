from django.urls import path

from engage.network import views

app_name = "network"

urlpatterns = [
    path("", views.stakeholder_list, name="stakeholders"),
    path("map/", views.stakeholder_map, name="map"),
    path("stakeholders/new/", views.stakeholder_new, name="stakeholder_new"),
    path("stakeholders/<uuid:pk>/", views.stakeholder_detail, name="stakeholder"),
    path("stakeholders/<uuid:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("stakeholders/<uuid:pk>/stage/", views.stakeholder_stage, name="stakeholder_stage"),
    path(
        "stakeholders/<uuid:pk>/interactions/new/",
        views.interaction_new,
        name="interaction_new",
    ),
    path("interactions/<uuid:pk>/delete/", views.interaction_delete, name="interaction_delete"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<uuid:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<uuid:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("costs/detention/", views.detention_costs, name="detention_costs"),
    path("costs/detention/<uuid:pk>/", views.detention_cost_edit, name="detention_cost_edit"),
    path("costs/budgets/", views.budgets, name="budgets"),
    path("costs/budgets/<uuid:pk>/", views.budget_edit, name="budget_edit"),
]
