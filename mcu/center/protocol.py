"""The protocol of a meeting as a document: what the printable page and the DOCX both show.

Сосновоборский §3.2: decisions are recorded in a protocol signed by the curator and sent to the
officials for execution — so the document lists each decision with its assignments (executor,
term) and ends with the signature line. One reader builds it for both formats, so the page and
the file never disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from mcu.models import Assignment, Meeting, MeetingDecision
from roles.models import Role, User
from roles.selectors import role_holders


@dataclass(frozen=True)
class ProtocolDecision:
    decision: MeetingDecision
    assignments: list[Assignment]


@dataclass(frozen=True)
class Protocol:
    meeting: Meeting
    participants: list[User]
    decisions: list[ProtocolDecision]
    signatory: User | None
    signatory_title: str


def protocol_for_meeting(*, meeting: Meeting) -> Protocol:
    decisions = list(meeting.decisions.order_by("number"))
    assignments: dict[int, list[Assignment]] = {d.pk: [] for d in decisions}
    for row in (
        Assignment.objects.filter(decision__meeting=meeting)
        .select_related("executor")
        .order_by("decision_id", "due_date", "pk")
    ):
        assignments[row.decision_id].append(row)
    curators = role_holders(municipality=meeting.municipality, roles=[Role.CURATOR])
    signatory = meeting.protocol_signed_by or (curators[0] if curators else None)
    # Сосновоборский §3.2: in the curator's absence the head acts for the curator.
    title = _("Куратор МЦУ") if signatory is None or signatory in curators else _("За куратора МЦУ")
    return Protocol(
        meeting=meeting,
        participants=list(meeting.participants.order_by("full_name", "username")),
        decisions=[ProtocolDecision(d, assignments[d.pk]) for d in decisions],
        signatory=signatory,
        signatory_title=title,
    )


def protocol_docx(protocol: Protocol) -> bytes:
    """The protocol as a Word document (python-docx), in the order of the printable page."""
    meeting = protocol.meeting
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)

    def centered(text: str, *, bold: bool = False) -> None:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = bold

    number = f" № {meeting.protocol_number}" if meeting.protocol_number else ""
    centered(_("ПРОТОКОЛ") + number, bold=True)
    centered(_("заседания муниципального центра управления"))
    centered(meeting.municipality.name)
    document.add_paragraph(
        f"{meeting.held_on:%d.%m.%Y}   "
        + _("Форма проведения: %(form)s") % {"form": meeting.get_form_display()}
    )
    document.add_paragraph(_("Тема: %(title)s") % {"title": meeting.title})
    if meeting.chair:
        document.add_paragraph(
            _("Председательствующий: %(name)s") % {"name": meeting.chair.display_name}
        )
    if protocol.participants:
        document.add_paragraph(_("Присутствовали:"))
        for person in protocol.participants:
            position = f" — {person.position}" if person.position else ""
            document.add_paragraph(f"{person.display_name}{position}", style="List Bullet")
    document.add_paragraph(_("Повестка:")).runs[0].bold = True
    document.add_paragraph(meeting.agenda)
    document.add_paragraph(_("Решили:")).runs[0].bold = True
    for item in protocol.decisions:
        document.add_paragraph(f"{item.decision.number}. {item.decision.text}")
        if item.assignments:
            table = document.add_table(rows=1, cols=3)
            table.style = "Table Grid"
            header = table.rows[0].cells
            header[0].text = _("Поручение")
            header[1].text = _("Исполнитель")
            header[2].text = _("Срок")
            for assignment in item.assignments:
                cells = table.add_row().cells
                cells[0].text = assignment.text
                cells[1].text = assignment.executor.display_name
                cells[2].text = _("до %(day)s") % {"day": f"{assignment.due_date:%d.%m.%Y}"}
    document.add_paragraph()
    signed = (
        _("подписан %(day)s") % {"day": f"{meeting.protocol_signed_on:%d.%m.%Y}"}
        if meeting.protocol_signed_on
        else _("не подписан")
    )
    name = protocol.signatory.display_name if protocol.signatory else "____________"
    document.add_paragraph(f"{protocol.signatory_title}   ____________   {name}   ({signed})")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
