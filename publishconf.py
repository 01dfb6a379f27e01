# Kilas publish settings: everything from pelicanconf.py, plus what a public
# site needs. `invoke preview --siteurl URL` and `invoke gh-pages --siteurl URL`
# override SITEURL (a project site lives under https://<user>.github.io/<repo>).
from pathlib import Path

from pelican.settings import get_settings_from_file

# Every setting of pelicanconf.py, which sits beside this file (wherever the
# build is started from: no sys.path edit), as `from pelicanconf import *`.
globals().update(
    get_settings_from_file(str(Path(__file__).with_name("pelicanconf.py")))
)

# -- Site -------------------------------------------------------------------
SITEURL = "https://kilas.github.io"
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False

# -- Content ----------------------------------------------------------------
# Drafts never reach a published site: no page, feed, sitemap or search entry.
KILAS_DRAFTS = False

# -- Publishing (`invoke gh-pages`) -----------------------------------------
# A custom domain for GitHub Pages, written to CNAME ("berita.example.org");
# SITEURL must then be https://<that domain>. Empty: no custom domain.
GITHUB_PAGES_CNAME = ""

# -- Build ------------------------------------------------------------------
DELETE_OUTPUT_DIRECTORY = True
