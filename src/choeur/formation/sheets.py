"""A session's results on paper and in a spreadsheet: the CSV export and the printable
attendance and result sheet (« feuille d'émargement et de résultats », PDF).

CSV: the house's format (reporting/tables.py: UTF-8 with a BOM, `;`, CRLF, formula-like
cells prefixed). Its columns, in this order, are a contract other tools read:

    statut;nom;prenom;email;inscrit_le;compte_cree_le;compte_active_le;matelas_genere_le;
    quiz_<module>… (best score « 7/10 », one column per quiz, modules' order);
    quiz_tentatives (attempts, all quizzes);
    exercices_reussis (« 2/3 »); exercice_<id>… (the date it was done; empty when not)

`statut` is `inscrit` for a trainee who joined, `invite` for an invitation nobody joined
from yet (its other columns empty). Dates are the French time, YYYY-MM-DD HH:MM.
"""

from __future__ import annotations

import io

from choeur.core import clock
from choeur.formation.sessions import Results, Trainee, format_code

BASE_COLUMNS = ["statut", "nom", "prenom", "email", "inscrit_le", "compte_cree_le",
                "compte_active_le", "matelas_genere_le"]


def _when(value) -> str:
    return value.astimezone(clock.PARIS).strftime("%Y-%m-%d %H:%M") if value else ""


def _score(trainee: Trainee, slug: str) -> str:
    entry = trainee.quizzes.get(slug)
    return f"{entry['best'][0]}/{entry['best'][1]}" if entry else ""


def columns(found: Results) -> list[str]:
    return [*BASE_COLUMNS, *(f"quiz_{q.slug}" for q in found.quizzes), "quiz_tentatives",
            "exercices_reussis", *(f"exercice_{e.id}" for e in found.exercises)]


def rows(found: Results) -> list[list[str]]:
    out = []
    for trainee in found.trainees:
        user = trainee.user
        out.append([
            "inscrit", user.last_name, user.first_name, user.email,
            _when(trainee.participant.joined_at), _when(user.date_joined),
            _when(user.activated_at), _when(trainee.matelas_at),
            *(_score(trainee, q.slug) for q in found.quizzes),
            str(sum(entry["attempts"] for entry in trainee.quizzes.values())),
            f"{trainee.exercises_done}/{len(found.exercises)}",
            *(_when(trainee.exercises.get(e.id)) for e in found.exercises)])
    width = len(columns(found))
    for invitation in found.waiting:
        out.append(["invite", "", "", invitation.email] + [""] * (width - 4))
    return out


def to_csv(found: Results) -> bytes:
    from choeur.reporting.tables import Table, to_csv

    return to_csv(Table("formation", found.session.title, columns(found), rows(found)))


def filename(found: Results, extension: str) -> str:
    return f"session-{found.session.date.isoformat()}-{found.session.pk}.{extension}"


def to_pdf(found: Results) -> bytes:
    """The sheet a trainer prints for the day: one line per trainee (name, e-mail, quiz
    scores, exercises done) with a box to sign, then the invitations not joined yet; A4
    landscape, French, the same bytes for the same results (reportlab's invariant mode)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from choeur.formats.writers import _esc, _register_fonts, page_footer

    _register_fonts()
    session = found.session
    base = ParagraphStyle("base", fontName="ChoeurVera", fontSize=8.5, leading=10.5)
    label = ParagraphStyle("label", parent=base, fontName="ChoeurVera-Bold")
    head = ParagraphStyle("head", parent=label, fontSize=8, leading=10)
    title = ParagraphStyle("title", parent=base, fontName="ChoeurVera-Bold", fontSize=15,
                           leading=19)
    grid = colors.Color(0.6, 0.6, 0.6)
    trainer = session.trainer.get_full_name() or session.trainer.email
    facts = [f"<b>Date :</b> {session.date.strftime('%d/%m/%Y')}",
             f"<b>Formateur :</b> {_esc(trainer)}",
             f"<b>Code de la session :</b> {format_code(session.code)}"]
    if session.place:
        facts.insert(1, f"<b>Lieu :</b> {_esc(session.place)}")
    story = [Paragraph("Feuille d'émargement et de résultats", title),
             Paragraph(_esc(session.title), label), Spacer(1, 2 * mm),
             Paragraph(" — ".join(facts), base), Spacer(1, 2 * mm)]
    if found.quizzes:
        story.append(Paragraph(
            "Quiz : le meilleur score du stagiaire au quiz du module ("
            + " ; ".join(f"M{q.module.number} : {_esc(q.module.title_fr)}" for q in found.quizzes)
            + ").", base))
    story.append(Spacer(1, 4 * mm))

    quiz_heads = [f"Quiz M{q.module.number}" for q in found.quizzes]
    table = [[Paragraph(h, head) for h in ("N°", "Nom, prénom", "Adresse électronique",
                                             *quiz_heads, "Exercices", "Signature")]]
    for number, trainee in enumerate(found.trainees, start=1):
        user = trainee.user
        # Cut each part on its own: a long surname must not push the first name out.
        name = f"{user.last_name[:50].upper()} {user.first_name[:30]}".strip() or "—"
        table.append([
            str(number), Paragraph(_esc(name), base), Paragraph(_esc(user.email), base),
            *(_score(trainee, q.slug) or "—" for q in found.quizzes),
            f"{trainee.exercises_done}/{len(found.exercises)}", ""])
    if not found.trainees:
        table.append(["", Paragraph("Aucun stagiaire n'a encore rejoint la session.", base),
                      "", *("" for _ in found.quizzes), "", ""])
    # 261 mm between the margins: the e-mail column gives way to the quizzes' (six at most);
    # the signature takes the rest, 40 mm at least.
    quizzes_width = 15 * mm * len(quiz_heads)
    email = min(80 * mm, 261 * mm - 82 * mm - 40 * mm - quizzes_width)
    signature = 261 * mm - 82 * mm - email - quizzes_width
    sheet = Table(table, colWidths=[10 * mm, 50 * mm, email, *([15 * mm] * len(quiz_heads)),
                                    22 * mm, signature],
                  repeatRows=1)
    sheet.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONT", (0, 1), (-1, -1), "ChoeurVera", 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, grid),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        # A line high enough to sign on.
        ("TOPPADDING", (0, 1), (-1, -1), 9), ("BOTTOMPADDING", (0, 1), (-1, -1), 9),
    ]))
    story.append(sheet)
    if found.waiting:
        story += [Spacer(1, 5 * mm), Paragraph(
            "Invités n'ayant pas encore rejoint la session : " + _esc(
                ", ".join(i.email for i in found.waiting)), base)]
    buffer = io.BytesIO()
    decorate = page_footer(session.created_at, f"Choeur — {session.title[:90]} — "
                                               f"{session.date.strftime('%d/%m/%Y')}", 8)
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=18 * mm, rightMargin=18 * mm,
        topMargin=15 * mm, bottomMargin=15 * mm, title=f"Émargement — {session.title}",
        author="Choeur", creator="Choeur", producer="Choeur", invariant=1, lang="fr-FR")
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
