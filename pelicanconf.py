# Kilas development settings. `publishconf.py` imports these and changes only
# what publishing needs. Every URL word is a setting with an Indonesian default.
# -- Site -------------------------------------------------------------------
SITENAME = "Kilas"
SITESUBTITLE = "Ringkasan berita dari banyak sumber"
SITEURL = ""
AUTHOR = "Redaksi Kilas"
PUBLISHER_NAME = "Kilas"
TIMEZONE = "Asia/Jakarta"
DEFAULT_LANG = "id"
DEFAULT_DATE = None
DEFAULT_PAGINATION = 10

# -- Content ----------------------------------------------------------------
PATH = "content"
# Resolved from this file's folder (Pelican's default is relative to the
# folder a build starts in).
OUTPUT_PATH = "output"
ARTICLE_PATHS = ["items"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
STATIC_CHECK_IF_MODIFIED = True
EXTRA_PATH_METADATA = {
    "extra/favicon.svg": {"path": "favicon.svg"},
}
KILAS_SOURCES_FILE = "sources.yaml"
KILAS_REGIONS_FILE = "regions.yaml"
KILAS_CATEGORIES = [
    "Nasional",
    "Internasional",
    "Ekonomi",
    "Politik",
    "Hukum",
    "Teknologi",
    "Sains",
    "Kesehatan",
    "Lingkungan",
    "Olahraga",
    "Budaya",
    "Bencana",
]

# -- Text -------------------------------------------------------------------
TYPOGRIFY = True
TYPOGRIFY_DASHES = "oldschool"
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        # As on GitHub: a heading's `#` is followed by a space (`#banjir` at
        # a line's start is a hashtag), and a list may follow a line of text.
        "pymdownx.saneheaders": {},
        "kilas_render.lists": {},
    },
    "output_format": "html5",
}

# -- Theme and plugins ------------------------------------------------------
THEME = "theme"
PLUGIN_PATHS = ["plugins"]
# Pelican loads each plugin from PLUGIN_PATHS; the libraries the plugins share
# (kilas_settings, kilas_render) are importable because the project is
# installed (`pip install -e .`, see pyproject.toml).
PLUGINS = [
    "kilas_contract",
    "kilas_i18n",
    "kilas_theme",
    "kilas_related",
    "kilas_taxonomy",
    "kilas_timeline",
    "kilas_images",
    "kilas_seo",
    "kilas_feeds",
    "kilas_sitemap",
    "kilas_search",
]

# -- URLs: clean directories, Indonesian words ------------------------------
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
ARTICLE_LANG_URL = "{lang}/{date:%Y}/{date:%m}/{slug}/"
ARTICLE_LANG_SAVE_AS = "{lang}/{date:%Y}/{date:%m}/{slug}/index.html"
# Development builds show drafts as previews at DRAFT_URL (never listed);
# publishconf.py leaves them out of the build entirely.
KILAS_DRAFTS = True
DRAFT_URL = "draf/{slug}/"
DRAFT_SAVE_AS = "draf/{slug}/index.html"
DRAFT_LANG_URL = "draf/{lang}/{slug}/"
DRAFT_LANG_SAVE_AS = "draf/{lang}/{slug}/index.html"
DRAFT_PAGE_URL = "draf/halaman/{slug}/"
DRAFT_PAGE_SAVE_AS = "draf/halaman/{slug}/index.html"
DRAFT_PAGE_LANG_URL = "draf/{lang}/halaman/{slug}/"
DRAFT_PAGE_LANG_SAVE_AS = "draf/{lang}/halaman/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = "{lang}/{slug}/"
PAGE_LANG_SAVE_AS = "{lang}/{slug}/index.html"
CATEGORY_URL = "kategori/{slug}/"
CATEGORY_SAVE_AS = "kategori/{slug}/index.html"
CATEGORIES_URL = "kategori/"
CATEGORIES_SAVE_AS = "kategori/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
TAGS_URL = "tag/"
TAGS_SAVE_AS = "tag/index.html"
# Region, source and story pages (wilayah/, sumber/, cerita/) and the weekly
# editions (edisi/) take the Indonesian defaults of kilas_taxonomy and
# kilas_timeline (their READMEs list every URL setting).
# The timeline (Pelican's period archives; plugin kilas_timeline for the
# index at its TIMELINE_URL, linimasa/, the day pages, which are daily
# editions, and the weekly editions).
YEAR_ARCHIVE_URL = "linimasa/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "linimasa/{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "linimasa/{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "linimasa/{date:%Y}/{date:%m}/index.html"
DAY_ARCHIVE_URL = "linimasa/{date:%Y}/{date:%m}/{date:%d}/"
DAY_ARCHIVE_SAVE_AS = "linimasa/{date:%Y}/{date:%m}/{date:%d}/index.html"
# One archive: the timeline. Pelican's flat archive page is not written, and
# anything that links to ARCHIVES_URL reaches the timeline (TIMELINE_URL).
ARCHIVES_URL = "linimasa/"
ARCHIVES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
INDEX_SAVE_AS = "index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/halaman/{number}/", "{base_name}/halaman/{number}/index.html"),
)
# A URL follows the file name, so editing a headline never breaks a link.
SLUGIFY_SOURCE = "basename"

# -- Feeds ------------------------------------------------------------------
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/semua.atom.xml"
CATEGORY_FEED_ATOM = "feeds/kategori/{slug}.atom.xml"
TAG_FEED_ATOM = None
# Region, source and story feeds and the weekly editions' feed: the
# defaults of kilas_taxonomy and kilas_timeline (feeds/wilayah/..., feeds/edisi).
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RSS_FEED_SUMMARY_ONLY = False
# Feeds carry the latest items in full; the site keeps the rest.
FEED_MAX_ITEMS = 25

# -- Search (kilas_search: Pagefind, indexed by every build) -----------------
# Every setting has its default (plugins/kilas_search/README.md): without
# JavaScript the search page links to the timeline (SEARCH_BROWSE_URL).

# -- Photos and share cards (kilas_images) ---------------------------------
# Its defaults (plugins/kilas_images/README.md): copies and cards in gambar/,
# widths 240 to 1200, WebP then JPEG.

# -- Search engines (kilas_seo, kilas_feeds, kilas_sitemap) ----------------
# Their defaults: plugins/kilas_seo, kilas_feeds and kilas_sitemap READMEs.
# The build's one "now" is KILAS_NOW (kilas_contract; default: the clock; the
# environment variable KILAS_NOW wins): items dated later are scheduled, and
# the news sitemap counts back from it.

# -- Build ------------------------------------------------------------------
DELETE_OUTPUT_DIRECTORY = True
# Stock `pelican`'s caches (kilas_images' photos and cards), in the project
# folder wherever a build starts (`python -m kilas.build` uses .kilas-cache/).
CACHE_PATH = "cache"
# Kept in output/ through every build and by `invoke clean`: a Git clone of
# the published branch, a custom domain, GitHub Pages' no-Jekyll marker.
OUTPUT_RETENTION = [".git", "CNAME", ".nojekyll"]
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False

# -- Templates --------------------------------------------------------------
# Content-Security-Policy of every page (a <meta> tag): scripts, styles,
# fonts and requests only from the site itself (the search page adds
# 'wasm-unsafe-eval' for Pagefind), images also from https addresses, no
# plugins, no <base>, forms only to the site. Item bodies are sanitised too.
KILAS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "https:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# Autoescape: every title, summary and source is text unless marked `|safe`.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}
DIRECT_TEMPLATES = ["index", "categories", "tags", "notfound", "search"]
# The home page is the latest edition, not a paginated list: no "index" here.
PAGINATED_TEMPLATES = {
    "category": None,
    "tag": None,
    "region": None,
    "source": None,
    "story": None,
    "period_archives": None,
}
NOTFOUND_SAVE_AS = "404.html"
SEARCH_URL = "cari/"
SEARCH_SAVE_AS = "cari/index.html"
MENU_PAGES = ["tentang"]
# Markdown only: the reStructuredText reader warns about Indonesian on start.
READERS = {"rst": None, "html": None, "htm": None}
