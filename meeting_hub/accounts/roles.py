"""The roles a user can hold."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """What a user does in the network; see PRODUCT.md, "Users and their jobs"."""

    ADMIN = "admin"
    ORGANIZER = "organizer"
    LEADER = "leader"
    OPERATOR = "operator"
    RESPONDER = "responder"


ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị hệ thống"),
    Role.ORGANIZER: _l("Cán bộ tổ chức"),
    Role.LEADER: _l("Lãnh đạo"),
    Role.OPERATOR: _l("Cán bộ điểm cầu"),
    Role.RESPONDER: _l("Cán bộ cơ quan xử lý"),
}
