"""Which paths are pages. Sessions, CSRF and HTML error pages apply to these only, so the APIs
pay nothing for the web app and never see its cookies."""

# First path segments the pages own ("/" itself is the home page).
WEB_SEGMENTS = frozenset(
    {
        "",
        "login",
        "logout",
        "orders",
        "returns",
        "products",
        "insights",
        "receive",
        "inspect",
        "quarantine",
        "static",
        "account",
        "settings",
    }
)


def is_web_path(path: str) -> bool:
    segment = path[1:].split("/", 1)[0]
    return segment in WEB_SEGMENTS
