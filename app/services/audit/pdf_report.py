"""The printable case report as a PDF file auditors can file as evidence: the same HTML template rendered by
WeasyPrint (Pango), with Chinese set in Debian's Noto CJK fonts (fonts-noto-cjk). Stylesheets are read from the
product's own static files; nothing is fetched from the network while rendering."""
from pathlib import Path
from urllib.parse import urlsplit

# the page box and the fonts; the product styles (app.css, audit.css) come with the template
PDF_CSS = """
@page { size: A4; margin: 15mm 12mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
html, body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans", sans-serif; font-size: 9.5pt; }
.no-print { display: none !important; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #bbb; padding: 2pt 4pt; vertical-align: top; word-break: break-word; }
"""


def local_fetcher(roots: dict[str, Path]):
    """A WeasyPrint URL fetcher serving URL paths under the given prefixes (e.g. '/static/') from local
    directories; anything else is refused (no network access, no file outside those directories)."""
    from weasyprint import default_url_fetcher

    def fetch(url: str):
        path = urlsplit(url).path
        for prefix, root in roots.items():
            if path.startswith(prefix):
                base = root.resolve()
                target = (base / path[len(prefix):]).resolve()
                if target.is_file() and target.is_relative_to(base) and target.suffix in (".css", ".svg", ".png"):
                    return default_url_fetcher(target.as_uri())
        raise ValueError(f"not served to the PDF renderer: {path}")
    return fetch


def html_to_pdf(html: str, base_url: str, roots: dict[str, Path]) -> bytes:
    """Render one HTML page to PDF bytes."""
    from weasyprint import CSS, HTML
    fetcher = local_fetcher(roots)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=PDF_CSS, url_fetcher=fetcher)])
