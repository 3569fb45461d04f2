from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as `1:05:09`, `5:09` or `0:09`."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
