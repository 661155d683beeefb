from django.apps import AppConfig
from django.core import checks


class FormationConfig(AppConfig):
    name = "choeur.formation"
    label = "formation"
    verbose_name = "Formation"

    def ready(self):
        checks.register(check_course_files)


def check_course_files(app_configs=None, **kwargs):
    """`choeur check`: every guide and quiz file readable, a trainer's quizzes included (one
    that is not is left out of the section, and said here with its line and reason)."""
    from choeur.formation import exercises, guides, quizzes

    found = []
    for path in sorted(guides.GUIDES_DIR.glob("*.md")):
        try:
            guides.parse(path)
        except guides.GuideInvalid as exc:
            found.append(f"{path.parent}/{exc}")
    found += quizzes.problems()
    seen: set[str] = set()
    for path in sorted(exercises.EXERCISES_DIR.glob("*.toml")):
        try:
            listed = exercises.parse(path)
        except exercises.ExerciseInvalid as exc:
            found.append(f"{path.parent}/{exc}")
            continue
        for exercise in listed:
            if exercise.id in seen:
                found.append(f"{path}, exercice « {exercise.id} » : identifiant déjà pris par "
                             f"un autre exercice")
            seen.add(exercise.id)
    return [checks.Error(problem, id="formation.E001") for problem in found]
