"""The README as a new editor reads it: every setting its tables name is a
real setting with the default the table states, and what it promises about
settings holds in a build."""

from __future__ import annotations

import ast
import re
import shutil
from importlib import import_module
from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG, get_settings_from_file

from tests.conftest import PROJECT, page, run_build

# Every plugin's table of defaults (module, name).
DEFAULT_TABLES = (
    ("kilas_contract.kilas_contract", "DEFAULTS"),
    ("kilas_feeds.kilas_feeds", "DEFAULTS"),
    ("kilas_images.kilas_images", "DEFAULTS"),
    ("kilas_related.kilas_related", "DEFAULTS"),
    ("kilas_search.kilas_search", "SEARCH_DEFAULTS"),
    ("kilas_seo.kilas_seo", "DEFAULTS"),
    ("kilas_sitemap.kilas_sitemap", "DEFAULTS"),
    ("kilas_taxonomy.kilas_taxonomy", "DEFAULTS"),
    ("kilas_theme.kilas_theme", "DEFAULTS"),
    ("kilas_timeline.kilas_timeline", "DEFAULTS"),
)
READMES = [PROJECT / "README.md", *sorted(PROJECT.glob("plugins/*/README.md"))]
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)`( \(publishconf\))? \| (.*?) \| .* \|$")
# Defaults the tables give in words, and what the words mean.
IN_WORDS = {
    "12 sections": lambda value: len(value) == 12,
    "see `pelicanconf.py`": bool,
    "region, source, story": lambda value: list(value) == ["region", "source", "story"],
    "header red, footer ink": lambda value: value["background"] == "#9b1c1c",
    "Noto Sans Bold and Regular": lambda value: "NotoSans-Bold" in value["bold"],
    "region (`parent`, `members`), source (`also: cites`), story (plural `stories`)": (
        lambda value: (
            value["region"]["members"] == "members"
            and value["source"]["also"] == "cites"
            and value["story"]["plural"] == "stories"
        )
    ),
}


def _settings(file: str | None) -> dict:
    """Pelican's defaults, the plugins' defaults, then ``file``'s settings:
    what a build of the repository starts from (``None``: what a site that
    sets nothing gets, as a plugin's README states it)."""
    settings = dict(DEFAULT_CONFIG)
    for module, name in DEFAULT_TABLES:
        settings.update(getattr(import_module(module), name))
    if file:
        settings.update(get_settings_from_file(str(PROJECT / file)))
    return settings


def _rows() -> list[tuple[str, str, str, str]]:
    """(readme, setting, 'publishconf' or '', default cell) of every row of
    every settings table."""
    rows = []
    for readme in READMES:
        inside = False
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("| setting | default |"):
                inside = True
            elif not line.startswith("|"):
                inside = False
            elif inside and (match := ROW.match(line)):
                name, publish, default = match.groups()
                where = "publishconf" if publish else ""
                rows.append(
                    (readme.relative_to(PROJECT).as_posix(), name, where, default)
                )
    return rows


def _literal(cell: str):
    """The first value in backquotes (or the cell) as Python reads it; a
    word that is no Python literal stays text."""
    found = re.match(r"`([^`]*)`", cell)
    text = found.group(1) if found else cell
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _same(stated, actual) -> bool:
    if isinstance(stated, (list, tuple)) and isinstance(actual, (list, tuple)):
        return list(stated) == list(actual)
    return stated == actual


ROWS = _rows()


def test_the_readmes_have_settings_tables():
    named = {name for _, name, _, _ in ROWS}
    assert len(ROWS) > 60, ROWS  # every plugin README and the README's two tables
    assert {"KILAS_CATEGORIES", "SEARCH_SHARD_ITEMS", "KILAS_IMAGES_WIDTHS"} <= named


@pytest.mark.parametrize(
    ("readme", "name", "where", "cell"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS]
)
def test_every_setting_a_table_names_is_real_with_that_default(
    readme, name, where, cell
):
    site = _settings("publishconf.py" if where else "pelicanconf.py")
    assert name in site, f"{readme}: {name} is no setting of a build"
    # The README states the repository's settings; a plugin's README what
    # the plugin gives a site that sets nothing ("(none)": the site must).
    settings = site if readme == "README.md" else _settings(None)
    if cell.startswith("(none"):
        assert name not in settings, f"{readme}: {name} has a default"
        return
    value = settings.get(name)
    if cell in IN_WORDS:
        assert IN_WORDS[cell](value), f"{readme}: {name} is {value!r}, not {cell}"
        return
    stated = _literal(cell)
    assert _same(stated, value), f"{readme}: {name} is {value!r}; the table says {cell}"
    publish = re.search(r"\(publishconf: `([^`]*)`\)", cell)
    if publish:
        value = _settings("publishconf.py")[name]
        assert _same(ast.literal_eval(publish.group(1)), value), (readme, name, value)


def test_search_sends_readers_without_javascript_to_the_timeline_where_it_is(
    project: Path, tmp_path: Path
):
    """SEARCH_BROWSE_URL's default is the timeline's address (TIMELINE_URL),
    wherever the site puts the timeline."""
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write('\nTIMELINE_URL = "arsip/"\nTIMELINE_SAVE_AS = "arsip/index.html"\n')
    output = tmp_path / "output"
    result = run_build("--output", str(output), "--check", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (output / "arsip" / "index.html").is_file()
    links = page(output, "cari").xpath("//main//noscript//a/@href | //main//p/a/@href")
    assert "/arsip/" in links, links
    assert "/linimasa/" not in links, links


# --- Troubleshooting: each row quotes what a build prints ---------------------

# Rows whose problem a test run cannot make here, and where it is checked.
ELSEWHERE = {
    "the file cannot be read (Permission denied)": "plugins/kilas_contract/kilas_contract.py",
    "Slug: writes the same page": "plugins/kilas_contract/kilas_contract.py",
    "another build (pid N)": "kilas/output.py",
    "build failed: PATH: No space left on device": "kilas/build.py",
    "could not switch output/": "kilas/output.py",
    "warning: kilas: output/ cannot be switched": "kilas/output.py",
    "warning: kilas: built output/, but the build cache": "kilas/output.py kilas/build.py",
    "kilas_search: Pagefind": "plugins/kilas_search/kilas_search.py",
    "kilas: the search index was not updated": "kilas/live.py",
    "kilas: the save could not be taken": "kilas/live.py",
    "kilas: cannot watch for saves": "kilas/live.py",
    "kilas: ...: a plugin's code changed": "kilas/live.py",
    "theme/templates/article.html:4: template:": "kilas/build.py",
    "kilas: only N GB free": "tasks.py",
}
# What a message holds that is filled in: an elision, a number, a path, a
# quoted value, something in brackets, the system's own words.
FILLED_IN = re.compile(
    r"\.\.\.|…|\bN\b|\bPATH\b|\S*[\d/\"]\S*|\([^)]*\)|No space left on device"
    r"|Operation not permitted"
)
# Where they are made: root reads every file; two slugs one address needs
# URL settings of another site; two builds at once, a full disk, an
# immutable or mounted output/ (tests/test_safety.py, test_fastpath.py); a
# failing or hanging Pagefind; a save livereload cannot take, its index, the
# kernel's watch limit, a plugin saved, a template's mistake
# (test_settings_errors.py, test_live.py). Here their
# words are looked for in the code that prints them.


def _item(folder: Path, name: str, header: str = "", body: str = "Teks.", **fields):
    """An item of 5 August 2024 in ``folder``; ``fields`` replace or add
    header lines, ``header`` is added as it is."""
    values = {
        "Title": name.title(),
        "Date": "2024-08-05 11:00",
        "Category": "Bencana",
        "Region": "Korea Utara",
        "Source": "SinarHarapan.id",
        **fields,
    }
    values.setdefault("Summary", "Ringkasan.")
    lines = [f"{k}: {v}" for k, v in values.items() if k != "Summary"]
    text = "\n".join(lines) + f"\n{header}Summary: {values['Summary']}\n\n{body}\n"
    (folder / name).write_text(text, encoding="utf-8")


def _broken_content(content: Path) -> None:
    """One file per problem the Troubleshooting table names."""
    t = content / "items" / "t"
    t.mkdir()
    photo = (content / "images" / "banjir-korea-utara.jpg").read_bytes()
    (content / "images" / "foto.jpg").write_bytes(photo)
    (content / "images" / "peta.svg").write_text("<svg/>", encoding="utf-8")
    _item(t, "%%%.md")
    _item(t, "tr1.md", Lang="ko", Translation="true", Slug="putin-tawarkan-bantuan")
    _item(
        t,
        "tr2.md",
        Lang="ko",
        Translation="true",
        Slug="putin-tawarkan-bantuan-banjir-korea-utara",
        Category="Politik",
        Region="Korea Utara; Rusia",
    )
    _item(t, "cites.md", Source="Reuters", Cites="Reuters")
    _item(t, "href.md", body="[x](https://[::1/)")
    _item(t, "ctrl.md", Title="Banjir Besa\x0br")
    _item(t, "tag1.md", Tags="C++")
    _item(t, "tag2.md", Tags="C#")
    _item(t, "fire.md", Tags="🔥", Story="???")
    (t / "notitle.md").write_text(
        "Date: 2024-08-05 11:00\nCategory: Bencana\nRegion: KP\nSource: Reuters\n"
        "Summary: S.\n\nT.\n",
        encoding="utf-8",
    )
    (t / "blank.md").write_text(
        "Title: B\nDate: 2024-08-05 11:00\nCategory: Bencana\nRegion: KP\n\n"
        "Source: Reuters\nSummary: S.\n\nT.\n",
        encoding="utf-8",
    )
    _item(t, "srcurl.md", header="Source URL: https://x.org/a\n")
    (t / "yaml.md").write_text("---\nTitle: Y\n---\n\nT.\n", encoding="utf-8")
    _item(t, "d1.md", Date="Minggu, 4 Agustus 2024 pukul 10.30 WIB")
    _item(t, "d2.md", Date="2023-02-29 08:00")
    _item(t, "dup1.md", Source_URL="https://sinarharapan.id/a")
    _item(t, "dup2.md", Source_URL="https://www.sinarharapan.id/a/?utm_source=x")
    _item(t, "fot.md", body="![Foto]({static}/images/fot.jpg)")
    _item(t, "rel.md", body="![Foto](../../images/foto.jpg)")
    _item(t, "alt.md", body="![]({static}/images/foto.jpg)")
    (t / "cut.md").write_text(
        "Title: C\nDate: 2024-08-05 11:00\nCategory: Bencana\nRegion: KP\n"
        "Source: Reuters\nSummary: Putin menawarkan bantuan setelah banjir\n"
        "menghancurkan lebih dari 4.000 rumah dan desa.\n\nT.\n",
        encoding="utf-8",
    )
    _broken_fields(content, t)


def _broken_fields(content: Path, t: Path) -> None:
    """The rest of ``_broken_content``: fields, links and files."""
    _item(t, "mod.md", Modified="2024-08-04 08:00")
    _item(t, "mod2.md", Modified="2099-08-04 08:00")
    _item(t, "reg.md", Region="Korea Utaraa", Source="Reuter", Cites="Reuterz")
    _item(t, "korea.md", Region="Korea")
    _item(t, "cat.md", Category="Bencanaa", Source_URL="ftp://x.org/a")
    _item(t, "field.md", header="Regoin: KP\nSumber: Reuters\n")
    _item(t, "js.md", Summary="Lihat [ini](javascript:alert(1)).")
    from kilas.scaffold import BODY_PROMPT, SUMMARY_PROMPT

    _item(t, "prompt.md", Summary=SUMMARY_PROMPT, body=BODY_PROMPT)
    _item(t, "script.md", body="<script>alert(1)</script>")
    _item(t, "sched.md", Date="2099-08-05 11:00")
    _item(t, "draft.md", Status="draft")
    links = "[a]({filename}/items/t/sched.md) [b]({filename}/items/t/draft.md)"
    _item(t, "links.md", body=links)
    _item(t, "status.md", header="Status: published\nStatus: published\n")
    _item(t, "status2.md", Status="Draf", Pin="mungkin", Lang="Indonesian")
    _item(t, "slug.md", Slug="Putin Tawarkan", Image_Alt="a")
    _item(t, "correction.md", Correction="Salah angka.")
    same = "Banjir Hancurkan Lebih dari 4.000 Rumah di Barat Laut Korea Utara"
    _item(t, "same.md", Title=same, Date="2024-08-04 13:00")
    twin = "putin-tawarkan-bantuan-banjir-korea-utara"
    _item(
        t, "twin.md", Lang="en", Translation="true", Slug=twin, Category="Internasional"
    )
    _item(t, "img1.md", Image="images/x.jpg")
    _item(t, "img2.md", Image="../../images/foto.jpg", Image_Alt="a", Image_Credit="b")
    _item(t, "img3.md", Image="http://x.org/a.jpg", Image_Alt="a", Image_Credit="b")
    _item(t, "img4.md", Image="images/peta.svg", Image_Alt="a", Image_Credit="b")
    (content / "items" / "2024" / "07").mkdir()
    _item(content / "items" / "2024" / "07", "kurs-rupiah.md")
    _item(t, "kurs-rupiah.md")
    (t / "latin1.md").write_bytes(b"Title: Caf\xe9\n")
    (t / "empty.md").write_bytes(b"")
    (content / "2024").mkdir()
    _item(content / "2024", "x.md")
    _item(t, ".draft.md")
    _item(t, "x.md.txt")
    (t / "sym.md").symlink_to("/etc/hostname")
    (t / "sym2.md").symlink_to(t / "nowhere.md")


def _pattern(quote: str) -> re.Pattern:
    """A quoted message as a pattern: ``...`` and ``…`` stand for anything,
    ``N`` and every number for any number."""
    pattern = re.escape(quote)
    pattern = re.sub(r"(\\ )?(\\\.\\\.\\\.|…)(\\ )?", ".*?", pattern)
    pattern = re.sub(r"\bN\b", r"\\d+", pattern)
    pattern = re.sub(r"\d+", r"\\d+", pattern.replace(r"\d+", "\0")).replace(
        "\0", r"\d+"
    )
    return re.compile(pattern)


def _quotes() -> list[str]:
    """The quoted message of every row of the Troubleshooting table (each of
    a row's alternatives, `a` / `b`; not those in "(or ...)" nor a task's
    name in brackets)."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = text.split("\n## Troubleshooting\n", 1)[1].split("\n| --- | --- |\n", 1)[1]
    quotes = []
    for row in table.split("\n\n", 1)[0].splitlines():
        cell = row.removeprefix("| ").split(" | ")[0]
        if not cell.startswith("`"):  # a symptom in words, no message
            continue
        cell = re.sub(r"\((or |`|a notice)[^)]*\)", "", cell)
        quotes.extend(re.findall(r"`([^`]+)`", cell))
    return quotes


def _printed(project: Path, tmp_path: Path) -> str:
    """Everything a set of runs prints, each making the problems of the table."""

    out: list[str] = []

    def keep(result):
        out.append(result.stdout + result.stderr)

    content = project / "content"
    clean = tmp_path / "clean"
    shutil.copytree(content, clean)
    _broken_content(content)
    keep(run_build("--check", cwd=project))
    keep(run_build("--check", "--settings", "publishconf.py", cwd=project))
    # Problems a build meets after reading, one build each (the first stops it).
    shutil.rmtree(content)
    shutil.copytree(clean, content)
    photo = (content / "images" / "banjir-korea-utara.jpg").read_bytes()
    (content / "images" / ".foto.jpg").write_bytes(photo)
    (project / "luar.jpg").write_bytes(photo)
    links = "![Foto]({static}/images/.foto.jpg) ![Luar]({static}/../luar.jpg)"
    _item(content / "items", "tautan.md", body=links)
    keep(run_build(cwd=project))
    (content / "items" / "tautan.md").unlink()
    (content / "pages" / "cari.md").write_text("Title: Cari\n\nT.\n", encoding="utf-8")
    keep(run_build(cwd=project))
    (content / "pages" / "cari.md").unlink()
    (content / "images" / "x.jpg").write_bytes(photo[:3000])
    _item(
        content / "items",
        "potong.md",
        Image="images/x.jpg",
        Image_Alt="a",
        Image_Credit="b",
    )
    keep(run_build(cwd=project))
    (content / "items" / "potong.md").unlink()
    # Links from the site's root: checked once the site is written.
    _item(content / "items", "akar.md", body="[a](/halaman-hilang/) [b](/tentang/)")
    keep(run_build(cwd=project))
    keep(run_build("--siteurl", "https://user.github.io/kilas", cwd=project))
    (content / "items" / "akar.md").unlink()
    sources = content / "sources.yaml"
    listed = sources.read_text(encoding="utf-8")
    sources.write_text(
        listed + "  - name: Harian Lain\n    slug: Harian Lain\n"
        "    homepage: https://lain.example/\n    kind: outlet\n"
        "  - name: Reuters Indonesia\n    slug: reuters\n"
        "    homepage: https://reuters.example/\n    kind: agency\n",
        encoding="utf-8",
    )
    keep(run_build("--check", cwd=project))
    sources.write_text(listed, encoding="utf-8")
    out.append(_printed_elsewhere(project))
    return "\n".join(out)


def _printed_elsewhere(project: Path) -> str:
    """What runs print with broken settings, environment, output folder and
    task options."""
    import socket

    from tests.conftest import run_invoke

    out: list[str] = []

    def keep(result):
        out.append(result.stdout + result.stderr)

    content = project / "content"
    # Settings, the environment, the output folder, the tasks.
    settings = project / "pelicanconf.py"
    kept = settings.read_text(encoding="utf-8")
    broken = ('X = "abc', 'TIMEZONE = "WIB"', 'TIMEZONE_LABEL = "WIB"')
    for line in (*broken, 'SITEURL = "https://x.org/"'):
        settings.write_text(f"{kept}\n{line}\n", encoding="utf-8")
        keep(run_build("--check", cwd=project))
    settings.write_text(f'{kept}\nTIMEZONE = "Europe/Amsterdam"\n', encoding="utf-8")
    _item(content / "items", "dst.md", Date="2024-03-31 02:30")
    keep(run_build("--check", cwd=project))
    (content / "items" / "dst.md").unlink()
    settings.write_text(kept, encoding="utf-8")
    keep(run_build("--check", cwd=project, env={"KILAS_NOW": "kemarin"}))
    keep(run_build("--output", "content", cwd=project))
    (project / "X").mkdir()
    (project / "X" / "notes.txt").write_text("mine", encoding="utf-8")
    keep(run_build("--output", "X", cwd=project))
    keep(run_invoke(project, "serve"))
    keep(run_build(cwd=project))
    (project / "output" / "x" / ".git").mkdir(parents=True)
    keep(run_build(cwd=project))
    shutil.rmtree(project / "output" / "x")
    settings.write_text(f"{kept}\nOUTPUT_RETENTION = []\n", encoding="utf-8")
    (project / "output" / ".git").mkdir()
    keep(run_build(cwd=project))
    (project / "output" / ".git").rmdir()
    settings.write_text(kept, encoding="utf-8")
    render = next((project / ".kilas-cache").rglob("kilas-render.pickle"))
    render.write_bytes(b"damaged")
    (content / "items" / "2024" / "08" / "banjir-hancurkan-4000-rumah.md").open(
        "a", encoding="utf-8"
    ).write("\nSatu kalimat lagi.\n")
    keep(run_build(cwd=project))
    keep(run_invoke(project, "serve", "--port", "99999"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        keep(run_invoke(project, "serve", "--port", str(busy.getsockname()[1])))
    keep(
        run_invoke(
            project,
            "new",
            "Judul\nStatus: published",
            "--region",
            "KP",
            "--source",
            "Reuters",
            "--category",
            "Bencana",
        )
    )
    return "\n".join(out)


QUOTES = _quotes()


def _said_in(words: str, text: str) -> bool:
    """``words`` are in ``text``, whole or as two runs (a message made of two
    strings, or with a value filled in between); a single word passes."""
    split = words.split()
    if len(split) < 2 or words in text:
        return True
    return any(
        " ".join(split[:i]) in text and " ".join(split[i:]) in text
        for i in range(1, len(split))
    )


def test_every_troubleshooting_row_quotes_what_kilas_prints(project, tmp_path):
    """Each problem of the Troubleshooting table, made: the message printed is
    the row's (``...`` for what differs), wording and all."""
    assert len(QUOTES) > 70, QUOTES
    printed = _printed(project, tmp_path)
    missing = [
        quote
        for quote in QUOTES
        if not any(quote.startswith(key) for key in ELSEWHERE)
        and not _pattern(quote).search(printed)
    ]
    assert not missing, "\n".join(missing) + "\n\nprinted:\n" + printed[-9000:]
    for key, code in ELSEWHERE.items():  # a row that went takes its exception
        rows = [quote for quote in QUOTES if quote.startswith(key)]
        assert rows, key
        text = " ".join((PROJECT / f).read_text(encoding="utf-8") for f in code.split())
        text = " ".join(re.sub(r"[\"']\s*\n\s*[fr]?[\"']", "", text).split())
        for row in rows:  # a field's name and a prefix are added when printed
            said = re.sub(r"^(warning: )?(kilas\w*: )?([A-Z][A-Za-z_]*: )?", "", row)
            for part in re.split(FILLED_IN, said):
                words = part.strip(" :;,.")
                assert _said_in(words, text), (row, words, code)
