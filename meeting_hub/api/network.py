"""API: endpoints, their rosters, and agencies."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from meeting_hub.api.common import Blueprint, caller
from meeting_hub.network import services
from meeting_hub.network.models import Agency, Endpoint, Person
from meeting_hub.text_input import InputSchema

blueprint = Blueprint("api_network", __name__, description="Endpoints, people and agencies")


class EndpointSchema(ma.Schema):
    """An endpoint of the network."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["ward", "commune"]})
    party_committee_name = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)
    merged_into_id = ma.fields.Integer(allow_none=True)


class PersonSchema(ma.Schema):
    """A person on an endpoint's roster."""

    id = ma.fields.Integer(required=True)
    full_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"enum": ["secretary", "deputy", "member"]})
    phone = ma.fields.String(allow_none=True)
    cell_id = ma.fields.Integer(required=True)
    cell_name = ma.fields.String(required=True)
    endpoint_id = ma.fields.Integer(required=True)


class AgencySchema(ma.Schema):
    """A handling agency."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    endpoint_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean(required=True)


class SearchArgs(InputSchema):
    """A diacritics-insensitive search query."""

    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))


def _endpoint_dict(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "code": endpoint.code,
        "name": endpoint.name,
        "kind": endpoint.kind.value,
        "party_committee_name": endpoint.party_committee_name,
        "active": endpoint.active,
        "merged_into_id": endpoint.merged_into_id,
    }


def _person_dict(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "full_name": person.full_name,
        "role": person.role.value,
        "phone": person.phone,
        "cell_id": person.cell_id,
        "cell_name": person.cell.name,
        "endpoint_id": person.cell.endpoint_id,
    }


def _agency_dict(agency: Agency) -> dict[str, Any]:
    return {"id": agency.id, "name": agency.name, "endpoint_id": agency.endpoint_id, "active": agency.active}


@blueprint.get("/endpoints")
@blueprint.arguments(SearchArgs, location="query")
@blueprint.response(200, EndpointSchema(many=True))
def endpoints(args: dict[str, Any]) -> list[dict[str, Any]]:
    """List the active endpoints (all of them; every role may know the network)."""
    return [_endpoint_dict(endpoint) for endpoint in services.list_endpoints(None, args["q"])]


@blueprint.get("/endpoints/<int:endpoint_id>/people")
@blueprint.arguments(SearchArgs, location="query")
@blueprint.response(200, PersonSchema(many=True))
def endpoint_people(args: dict[str, Any], endpoint_id: int) -> list[dict[str, Any]]:
    """List an endpoint's roster (an operator: their own endpoint only)."""
    user = caller()
    endpoint = services.get_endpoint(endpoint_id, user)
    return [_person_dict(person) for person in services.list_people(user, endpoint_id=endpoint.id, query=args["q"])]


@blueprint.get("/agencies")
@blueprint.arguments(SearchArgs, location="query")
@blueprint.response(200, AgencySchema(many=True))
def agencies(args: dict[str, Any]) -> list[dict[str, Any]]:
    """List the active handling agencies."""
    return [_agency_dict(agency) for agency in services.list_agencies(args["q"])]
