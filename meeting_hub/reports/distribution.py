"""Distribution of briefing materials (the bulletin "Thông tin tuyên giáo"): each invited endpoint's operator confirms
receipt ("đã nhận"), and the organizers see which endpoints have not."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import AccessDenied
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from meeting_hub.reports.models import MaterialReceipt
from meeting_hub.scheduling.models import Briefing, Material, briefing_endpoints
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.vietnamese import sort_key


@dataclass
class MaterialDistribution:
    """Who confirmed receiving one material, and which invited endpoints have not yet."""

    material: Material
    received: list[MaterialReceipt] = field(default_factory=list)
    missing: list[Endpoint] = field(default_factory=list)

    @property
    def invited(self) -> int:
        """Return how many endpoints should confirm."""
        return len(self.received) + len(self.missing)


def confirm_receipt(material: Material, actor: User) -> MaterialReceipt:
    """Record that the operator's endpoint received the material (once; a repeat returns the first); the caller
    commits."""
    if actor.role != Role.OPERATOR or actor.endpoint_id is None:
        raise AccessDenied(_("Chỉ cán bộ điểm cầu xác nhận đã nhận tài liệu cho điểm cầu của mình."))
    get_briefing(material.briefing_id, actor)  # an operator whose endpoint is not invited is refused here
    existing = db.session.scalar(
        sa.select(MaterialReceipt).where(
            MaterialReceipt.material_id == material.id, MaterialReceipt.endpoint_id == actor.endpoint_id
        )
    )
    if existing is not None:
        return existing
    receipt = MaterialReceipt(material_id=material.id, endpoint_id=actor.endpoint_id, confirmed_by_id=actor.id)
    db.session.add(receipt)
    db.session.flush()
    audit.record(
        "material.receipt",
        actor,
        target=f"material:{material.id}",
        endpoint_id=actor.endpoint_id,
        briefing_id=material.briefing_id,
    )
    return receipt


def distribution(briefing: Briefing) -> dict[int, MaterialDistribution]:
    """Return {material id: who received it and who has not} for every material of the briefing, in two queries."""
    result = {material.id: MaterialDistribution(material) for material in briefing.materials}
    if not result:
        return result
    received: dict[int, set[int]] = {material_id: set() for material_id in result}
    for receipt in db.session.scalars(
        sa.select(MaterialReceipt)
        .options(sa.orm.joinedload(MaterialReceipt.endpoint), sa.orm.joinedload(MaterialReceipt.confirmed_by))
        .where(MaterialReceipt.material_id.in_(list(result)))
        .order_by(MaterialReceipt.confirmed_at)
    ):
        result[receipt.material_id].received.append(receipt)
        received[receipt.material_id].add(receipt.endpoint_id)
    invited = list(
        db.session.scalars(
            sa.select(Endpoint)
            .join(briefing_endpoints, briefing_endpoints.c.endpoint_id == Endpoint.id)
            .where(briefing_endpoints.c.briefing_id == briefing.id)
        )
    )
    for material_id, item in result.items():
        item.missing = sorted(
            (endpoint for endpoint in invited if endpoint.id not in received[material_id]),
            key=lambda e: sort_key(e.name),
        )
    return result


def receipts_of_endpoint(briefing: Briefing, endpoint_id: int) -> dict[int, MaterialReceipt]:
    """Return {material id: receipt} of one endpoint for the briefing's materials."""
    material_ids = [material.id for material in briefing.materials]
    if not material_ids:
        return {}
    return {
        receipt.material_id: receipt
        for receipt in db.session.scalars(
            sa.select(MaterialReceipt).where(
                MaterialReceipt.material_id.in_(material_ids), MaterialReceipt.endpoint_id == endpoint_id
            )
        )
    }
