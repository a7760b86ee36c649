"""The organizer's poll form: the question, up to ten option fields (blank ones are ignored), the choice and
ballot kinds. The rules themselves are the service's (services._clean_draft), shown beside the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from meeting_hub.polls.models import POLL_KIND_LABELS, PollKind
from meeting_hub.polls.services import MAX_OPTIONS, PollDraft
from meeting_hub.text_input import CheckedForm

#: What each ballot kind records, said once on the form under its choice.
POLL_KIND_HELP = {
    PollKind.NAMED: _l("Cán bộ điểm cầu ghi câu trả lời của từng người có mặt; kết quả lưu kèm tên người trả lời."),
    PollKind.SECRET: _l(
        "Chỉ ghi ai đã trả lời (mỗi người một lần), không lưu ai chọn phương án nào: không có trong cơ sở dữ liệu, "
        "nhật ký hay tệp xuất. Giới hạn: cán bộ điểm cầu nhập hộ vẫn nhìn thấy lựa chọn (trừ khi người đó tự trả lời "
        "bằng điện thoại); ở điểm cầu rất ít người, "
        "kết quả của điểm cầu có thể cho biết lựa chọn; câu trả lời đã ghi không sửa được."
    ),
    PollKind.ENDPOINT: _l(
        "Không ghi từng người: cán bộ điểm cầu đếm số người chọn mỗi phương án (ví dụ giơ tay) và nhập số lượng."
    ),
}


class PollForm(CheckedForm):
    """A draft poll as the organizer types it."""

    question = StringField(_l("Câu hỏi"))
    #: Always MAX_OPTIONS fields: without JavaScript every one shows, and blank ones are left out.
    options = FieldList(StringField(), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    multiple = BooleanField(_l("Cho phép chọn nhiều phương án"))
    allow_other = BooleanField(_l("Thêm phương án “Khác” để người trả lời ghi ý kiến riêng"))
    allow_self_answer = BooleanField(_l("Cho bí thư chi bộ tự trả lời bằng điện thoại, qua mã QR của điểm cầu"))
    kind = RadioField(
        _l("Cách ghi câu trả lời"),
        choices=[SelectChoice(kind.value, label) for kind, label in POLL_KIND_LABELS.items()],
        validators=[InputRequired(_l("Hãy chọn cách ghi câu trả lời."))],
    )

    def typed_options(self) -> list[str]:
        """Return the options typed, in their order, blank fields left out."""
        return [text for text in self.options.data if text and text.strip()]

    def draft(self) -> PollDraft:
        """Return the poll as typed (once the form is valid: a ballot kind is chosen)."""
        return PollDraft(
            self.question.data or "",
            self.typed_options(),
            PollKind(self.kind.data),
            bool(self.multiple.data),
            allow_other=bool(self.allow_other.data),
            allow_self_answer=bool(self.allow_self_answer.data),
        )

    def fill(self, draft: PollDraft) -> None:
        """Show a draft poll's text and settings (the edit form's first showing)."""
        self.question.data = draft.question
        for entry, text in zip(self.options.entries, [*draft.options, *[""] * MAX_OPTIONS], strict=False):
            entry.data = text
        self.multiple.data = draft.multiple
        self.allow_other.data = draft.allow_other
        self.allow_self_answer.data = draft.allow_self_answer
        self.kind.data = draft.kind.value
