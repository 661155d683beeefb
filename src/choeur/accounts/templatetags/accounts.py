from django import template

register = template.Library()


@register.filter
def error_code(error) -> str:
    """The stable code of a form error raised from a typed error, else nothing."""
    code = getattr(error, "code", "") or ""
    return code if code.isupper() and "_" in code else ""
