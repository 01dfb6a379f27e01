"""Regions as Indonesian news copy writes them, and registries read safely.

The table below is built as a real site (one item per spelling): each item's
facts box must show the expected Indonesian name, linked to one page per
place. Ambiguous names must fail the build, listing the choices. The
registry cases (alias bomb, duplicates, lists, cycles) fail the build with
``path:line: message`` for every problem at once.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import PROJECT, run_build
from kilas_contract.registry import RegionRegistry, SourceRegistry
from lxml import html

FIXTURE = PROJECT / "tests" / "fixtures" / "contract"
SETTINGS = {"DEFAULT_LANG": "id", "REGION_URL": "wilayah/{slug}/"}

# (as written in copy, the region's code, the name a page shows)
TABLE = [
    # Countries by their Indonesian names.
    ("Amerika Serikat", "US", "Amerika Serikat"),
    ("Korea Utara", "KP", "Korea Utara"),
    ("Korea Selatan", "KR", "Korea Selatan"),
    ("Tiongkok", "CN", "Tiongkok"),
    ("Jepang", "JP", "Jepang"),
    ("Rusia", "RU", "Rusia"),
    ("Belanda", "NL", "Belanda"),
    ("Arab Saudi", "SA", "Arab Saudi"),
    ("Palestina", "PS", "Palestina"),
    ("Inggris", "GB", "Inggris"),
    ("Britania Raya", "GB", "Inggris"),
    ("Ukraina", "UA", "Ukraina"),
    ("Mesir", "EG", "Mesir"),
    ("Georgia", "GE", "Georgia"),
    ("Timor Leste", "TL", "Timor Leste"),
    ("Pantai Gading", "CI", "Pantai Gading"),
    ("Selandia Baru", "NZ", "Selandia Baru"),
    ("Turki", "TR", "Turki"),
    ("Myanmar", "MM", "Myanmar"),
    ("Samoa", "WS", "Samoa"),
    # Newsroom abbreviations and short forms.
    ("AS", "US", "Amerika Serikat"),
    ("RI", "ID", "Indonesia"),
    ("Korut", "KP", "Korea Utara"),
    ("Korsel", "KR", "Korea Selatan"),
    ("UEA", "AE", "Uni Emirat Arab"),
    ("RRT", "CN", "Tiongkok"),
    ("China", "CN", "Tiongkok"),
    ("Cina", "CN", "Tiongkok"),
    ("Saudi", "SA", "Arab Saudi"),
    ("UK", "GB", "Inggris"),
    ("PNG", "PG", "Papua Nugini"),
    ("Afsel", "ZA", "Afrika Selatan"),
    ("RD Kongo", "CD", "Republik Demokratik Kongo"),
    ("Takhta Suci", "VA", "Vatikan"),
    # ISO codes, where no newsroom abbreviation claims them.
    ("KP", "KP", "Korea Utara"),
    ("ps", "PS", "Palestina"),
    ("ASM", "AS", "Samoa Amerika"),
    ("Samoa Amerika", "AS", "Samoa Amerika"),
    ("ID-JK", "ID-JK", "DKI Jakarta"),
    ("ID-PE", "ID-PE", "Papua Pegunungan"),
    ("MZ-G", "MZ-G", "Gaza"),
    ("US-GA", "US-GA", "Georgia"),
    # Indonesian provinces, by official names, common names and abbreviations;
    # cities that are provinces.
    ("Jakarta", "ID-JK", "DKI Jakarta"),
    ("DKI Jakarta", "ID-JK", "DKI Jakarta"),
    ("DKI", "ID-JK", "DKI Jakarta"),
    ("Jakarta Raya", "ID-JK", "DKI Jakarta"),
    ("Jabar", "ID-JB", "Jawa Barat"),
    ("Jawa Tengah", "ID-JT", "Jawa Tengah"),
    ("Jatim", "ID-JI", "Jawa Timur"),
    ("DIY", "ID-YO", "DI Yogyakarta"),
    ("Yogyakarta", "ID-YO", "DI Yogyakarta"),
    ("Jogja", "ID-YO", "DI Yogyakarta"),
    ("Sumut", "ID-SU", "Sumatera Utara"),
    ("Sulsel", "ID-SN", "Sulawesi Selatan"),
    ("NTT", "ID-NT", "Nusa Tenggara Timur"),
    ("NTB", "ID-NB", "Nusa Tenggara Barat"),
    ("Kalteng", "ID-KT", "Kalimantan Tengah"),
    ("Babel", "ID-BB", "Kepulauan Bangka Belitung"),
    ("Kepri", "ID-KR", "Kepulauan Riau"),
    ("Aceh", "ID-AC", "Aceh"),
    ("Bali", "ID-BA", "Bali"),
    ("Papua", "ID-PA", "Papua"),
    ("Maluku", "ID-MA", "Maluku"),
    ("Papua Selatan", "ID-PS", "Papua Selatan"),
    ("Papua Tengah", "ID-PT", "Papua Tengah"),
    ("Papua Pegunungan", "ID-PE", "Papua Pegunungan"),
    ("Papua Pengunungan", "ID-PE", "Papua Pegunungan"),
    ("Papua Barat Daya", "ID-PD", "Papua Barat Daya"),
    # Areas ISO lacks or names otherwise; disputed areas.
    ("Gaza", "gaza", "Jalur Gaza"),
    ("Jalur Gaza", "gaza", "Jalur Gaza"),
    ("Tepi Barat", "tepi-barat", "Tepi Barat"),
    ("Krimea", "krimea", "Krimea"),
    ("Donbas", "donbas", "Donbas"),
    ("Kashmir", "kashmir", "Kashmir"),
    ("Dataran Tinggi Golan", "golan", "Dataran Tinggi Golan"),
    ("Laut China Selatan", "laut-china-selatan", "Laut China Selatan"),
    ("LCS", "laut-china-selatan", "Laut China Selatan"),
    ("Tibet", "CN-XZ", "Tibet"),
    ("Rafah", "PS-RFH", "Rafah"),
    ("Katalonia", "ES-CT", "Katalonia"),
    # Administrative levels as copy writes them, abbreviated or not.
    ("Prov. Jawa Barat", "ID-JB", "Jawa Barat"),
    ("Provinsi Papua Pegunungan", "ID-PE", "Papua Pegunungan"),
    ("Kep. Riau", "ID-KR", "Kepulauan Riau"),
    ("Catalonia", "ES-CT", "Katalonia"),
    ("Skotlandia", "GB-SCT", "Skotlandia"),
    # Capitals that are subdivisions of their own, by their Indonesian names.
    ("Seoul", "KR-11", "Seoul"),
    ("Pyongyang", "KP-01", "Pyongyang"),
    ("Moskow", "RU-MOW", "Moskwa"),
    # Groupings.
    ("Timur Tengah", "timur-tengah", "Timur Tengah"),
    ("Timteng", "timur-tengah", "Timur Tengah"),
    ("ASEAN", "asean", "ASEAN"),
    ("Uni Eropa", "EU", "Uni Eropa"),
    ("Asia Tenggara", "035", "Asia Tenggara"),
    ("Asia Timur", "030", "Asia Timur"),
    ("Eropa", "150", "Eropa"),
    ("Afrika", "002", "Afrika"),
    ("Amerika Latin", "419", "Amerika Latin"),
    ("G20", "g20", "G20"),
    ("NATO", "nato", "NATO"),
    ("Negara Teluk", "teluk", "Negara Teluk"),
    ("Semenanjung Korea", "semenanjung-korea", "Semenanjung Korea"),
    # English names.
    ("United States", "US", "Amerika Serikat"),
    ("North Korea", "KP", "Korea Utara"),
    ("Palestine", "PS", "Palestina"),
    ("United Kingdom", "GB", "Inggris"),
    ("Saudi Arabia", "SA", "Arab Saudi"),
    ("Netherlands", "NL", "Belanda"),
    ("West Java", "ID-JB", "Jawa Barat"),
    ("Gaza Strip", "gaza", "Jalur Gaza"),
    ("West Bank", "tepi-barat", "Tepi Barat"),
    ("Middle East", "timur-tengah", "Timur Tengah"),
    ("European Union", "EU", "Uni Eropa"),
    # A foreign subdivision: by a name no country or newsroom name takes, or
    # as "Name, Country".
    ("Texas", "US-TX", "Texas"),
    ("Georgia, Amerika Serikat", "US-GA", "Georgia"),
    ("Gaza, Mozambik", "MZ-G", "Gaza"),
    ("Punjab, India", "IN-PB", "Punjab"),
    ("Gaza, Palestina", "gaza", "Jalur Gaza"),
    ("Jakarta, Indonesia", "ID-JK", "DKI Jakarta"),
]

# (as written, the choices the error must list)
AMBIGUOUS = [
    ("Korea", ["Korea Selatan (KR)", "Korea Utara (KP)"]),
    ("Kongo", ["Republik Demokratik Kongo (CD)", "Republik Kongo (CG)"]),
    ("Amerika", ["Amerika (019)", "Amerika Serikat (US)"]),
    ("Washington", ["Washington DC, Amerika Serikat (US-DC)"]),
    ("Punjab", ["Punjab, India (IN-PB)", "Punjab, Pakistan (PK-PB)"]),
]

# (a misspelling, the suggestion it must get)
NEAR = [
    ("Jakrta", "DKI Jakarta"),
    ("Korea Utaraa", "Korea Utara"),
    ("Palestin", "Palestina"),
    ("Timor Lest", "Timor Leste"),
    ("Jawa Baratt", "Jawa Barat"),
    ("Papua Pegununga", "Papua Pegunungan"),
    # A city inside a province suggests the province, never a far place
    # (Jakarta Selatan once got Korea Selatan; Medan got Algeria's Médéa).
    ("Jakarta Selatan", "DKI Jakarta"),
    ("Kota Gaza", "Jalur Gaza"),
    # A city that is not a region of its own suggests the region it lies in.
    ("Medan", "Sumatera Utara"),
    ("Surabaya", "Jawa Timur"),
    ("Praha", "Ceko"),
    ("Foo, Mozambik", None),
]


def _item(title: str, region: str) -> str:
    return (
        f"Title: {title}\nDate: 2024-08-04 10:30\nCategory: Internasional\n"
        f"Region: {region}\nSource: SinarHarapan.id\nSummary: Ringkasan.\n\nIsi.\n"
    )


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURE, folder)
    return folder


def _regions_shown(output: Path, slug: str) -> list[tuple[str, str]]:
    page = html.fromstring((output / f"2024/08/{slug}/index.html").read_bytes())
    dd = page.xpath(
        "//dl[@class='article-meta']/dt[.='Wilayah']/following-sibling::dd[1]"
    )
    return [(a.text_content(), a.get("href")) for a in dd[0].xpath(".//a")]


def test_table_of_newsroom_spellings(content, tmp_path):
    assert len(TABLE) >= 60
    for number, (written, _, _) in enumerate(TABLE):
        (content / "items" / f"r-{number:03d}.md").write_text(
            _item(f"Butir {number}", written), encoding="utf-8"
        )
    output = tmp_path / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    pages: dict[str, set[str]] = {}
    for number, (written, code, name) in enumerate(TABLE):
        shown = _regions_shown(output, f"r-{number:03d}")
        assert [text for text, _ in shown] == [name], written
        pages.setdefault(code, set()).add(shown[0][1])
    # One page per place, whatever the spelling; two places never share one.
    assert all(len(hrefs) == 1 for hrefs in pages.values()), pages
    hrefs = [next(iter(h)) for h in pages.values()]
    assert len(set(hrefs)) == len(hrefs)
    for href in hrefs:
        region_page = html.fromstring(
            (output / href.strip("/") / "index.html").read_bytes()
        )
        assert region_page.xpath("string(//h1)").startswith("Wilayah: ")


@pytest.mark.parametrize(("written", "code", "name"), TABLE)
def test_each_spelling_resolves(written, code, name):
    registry = RegionRegistry(SETTINGS, Path("/nonexistent/regions.yaml"))
    found = registry.resolve(written)
    assert found.value is not None, (written, found)
    assert (found.value.code, found.value.name) == (code, name)


def test_gazetteer_loads_without_problems_or_unintended_clashes():
    registry = RegionRegistry(SETTINGS, Path("/nonexistent/regions.yaml"))
    assert registry.problems == []
    ambiguous = sorted(
        written
        for written in ("Korea", "Kongo", "Amerika", "Washington")
        if registry.resolve(written).ambiguous
    )
    assert ambiguous == ["Amerika", "Kongo", "Korea", "Washington"]
    provinces = [r for r in registry.regions if r.kind == "province"]
    assert len(provinces) == 38
    assert {r.parent.code for r in provinces} == {"ID"}
    names = [r.name for r in registry.regions]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, duplicated  # each place has a page of its own


def test_english_site_shows_english_names():
    registry = RegionRegistry(
        {**SETTINGS, "DEFAULT_LANG": "en"}, Path("/nonexistent/regions.yaml")
    )
    shown = {
        w: registry.resolve(w).value.name
        for w in ("AS", "Jabar", "Gaza", "Timur Tengah", "Palestina", "Korut")
    }
    assert shown == {
        "AS": "United States",
        "Jabar": "West Java",
        "Gaza": "Gaza Strip",
        "Timur Tengah": "Middle East",
        "Palestina": "Palestine",
        "Korut": "North Korea",
    }


def test_ambiguous_names_are_errors_listing_the_choices(content, tmp_path):
    for number, (written, _) in enumerate(AMBIGUOUS):
        (content / "items" / f"a-{number}.md").write_text(
            _item(f"Ambigu {number}", written), encoding="utf-8"
        )
    result = run_build("--content", str(content), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    for number, (written, choices) in enumerate(AMBIGUOUS):
        line = next(
            line for line in result.stderr.splitlines() if f"a-{number}.md:4:" in line
        )
        assert f'Region: "{written}" is ambiguous' in line
        for choice in choices:
            assert choice in line, line
    assert f"{len(AMBIGUOUS)} problem(s)" in result.stderr


@pytest.mark.parametrize(("written", "suggestion"), NEAR)
def test_suggestions_are_near_spellings(written, suggestion):
    registry = RegionRegistry(SETTINGS, Path("/nonexistent/regions.yaml"))
    found = registry.resolve(written)
    assert found.value is None
    assert found.suggestion == suggestion


def test_every_listed_place_explains_itself_or_resolves_inside_its_region():
    """places.yaml is data: each Indonesian place must fail with the province
    it lies in (never resolve, least of all abroad); a foreign city either is
    a subdivision of its country or fails naming that country."""
    import yaml
    from kilas_contract.registry import GAZETTEER, PLACES_FILE

    places = yaml.safe_load((GAZETTEER / PLACES_FILE).read_text("utf-8"))["places"]
    registry = RegionRegistry(SETTINGS, Path("/nonexistent/regions.yaml"))
    wrong = []
    for code, names in places.items():
        for name in names:
            found = registry.resolve(name)
            if found.value is not None:
                outer = found.value
                while outer is not None and outer.code != code:
                    outer = outer.parent
                if code.startswith("ID") or outer is None:
                    wrong.append(f"{name}: resolves to {found.value.label}")
            elif found.inside is None or found.inside.code != code:
                wrong.append(f"{name}: {found}")
    assert wrong == []
    assert sum(len(names) for names in places.values()) >= 400


def test_a_place_inside_a_region_is_explained(content, tmp_path):
    cases = {"kota": "Surabaya", "pulau": "Flores", "asing": "Flores, Uruguay"}
    for slug, written in cases.items():
        (content / "items" / f"{slug}.md").write_text(
            _item(slug, written), encoding="utf-8"
        )
    result = run_build("--content", str(content), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    kota = next(line for line in lines if "kota.md:4:" in line)
    assert 'Region: "Surabaya" lies in Jawa Timur' in kota
    assert "parent: ID-JI" in kota
    pulau = next(line for line in lines if "pulau.md:4:" in line)
    assert "lies in Nusa Tenggara Timur" in pulau
    # Uruguay's Flores is still reached as "Name, Country".
    assert not any("asing.md" in line for line in lines)
    assert "2 problem(s)" in result.stderr


@pytest.mark.parametrize(
    ("written", "inside"),
    [
        ("Kab. Bogor", "ID-JB"),
        ("Kabupaten Bogor", "ID-JB"),
        ("Kota Surabaya", "ID-JI"),
        ("Kota Bekasi", "ID-JB"),
        ("Kep. Seribu", "ID-JK"),
        ("Kota Kinabalu", "MY"),
        ("Kota Gaza", "gaza"),
        ("Kota Bengkulu", "ID-BE"),
        ("Kab. Kepulauan Seribu", "ID-JK"),
    ],
)
def test_a_place_with_its_level_is_explained_as_the_place(written, inside):
    """Kota, Kabupaten and their abbreviations before a place's name: the
    place is found and explained, never left unknown or read as another."""
    found = RegionRegistry(SETTINGS, Path("/nonexistent/regions.yaml")).resolve(written)
    assert found.value is None
    assert found.inside is not None, found
    assert found.inside.code == inside


def test_comma_lists_and_name_country(content, tmp_path):
    cases = {
        "georgia-as": ("Georgia, Amerika Serikat", ["Georgia"]),
        "georgia-rusia": ("Georgia, Rusia", ["Georgia", "Rusia"]),
        "semicolons": ("Georgia, Amerika Serikat; Rusia", ["Georgia", "Rusia"]),
        "three": ("Jabar, Indonesia, Korut", ["Jawa Barat", "Korea Utara"]),
    }
    for slug, (written, _) in cases.items():
        (content / "items" / f"{slug}.md").write_text(
            _item(slug, written), encoding="utf-8"
        )
    output = tmp_path / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    shown = {slug: _regions_shown(output, slug) for slug in cases}
    for slug, (_, names) in cases.items():
        assert [name for name, _ in shown[slug]] == names, slug
    # The state and the country are two places with two pages.
    assert shown["georgia-as"][0][1] != shown["georgia-rusia"][0][1]


def test_site_registry_adds_and_overrides(content, tmp_path):
    (content / "regions.yaml").write_text(
        "regions:\n"
        "  - code: US\n"  # an explicit override may take a gazetteer name
        "    aliases: [Amerika, Negeri Abang Sam]\n"
        "  - code: ID-JK\n"
        "    name: {id: Daerah Khusus Jakarta, en: Jakarta}\n"
        "  - code: kota-gaza\n"
        "    name: Kota Gaza\n"
        "    parent: gaza\n"
        "    aliases: [Gaza City]\n",
        encoding="utf-8",
    )
    items = {"amerika": "Amerika", "abang": "Negeri Abang Sam", "dkj": "DKI"}
    items["kota"] = "Gaza City"
    for slug, written in items.items():
        (content / "items" / f"{slug}.md").write_text(
            _item(slug, written), encoding="utf-8"
        )
    output = tmp_path / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert _regions_shown(output, "amerika")[0][0] == "Amerika Serikat"
    assert _regions_shown(output, "abang")[0][0] == "Amerika Serikat"
    assert _regions_shown(output, "dkj")[0][0] == "Daerah Khusus Jakarta"
    name, href = _regions_shown(output, "kota")[0]
    assert name == "Kota Gaza"
    region_page = html.fromstring(
        (output / href.strip("/") / "index.html").read_bytes()
    )
    parent = region_page.xpath("//main//a[.='Jalur Gaza']/@href")
    assert parent == ["/wilayah/jalur-gaza/"]


# -- registries read safely (issue 13) ----------------------------------------------
BOMB = """regions:
  - code: bom
    name: Bom
    aliases: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
a1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
a2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
a3: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
a4: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
a5: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
a6: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
a7: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
a8: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
a9: [*i, *i, *i, *i, *i, *i, *i, *i, *i, *i]
"""


def _registry_fails(content: Path, tmp_path: Path) -> list[str]:
    output = tmp_path / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 1, result.stdout + result.stderr
    assert not output.exists()
    return result.stderr.splitlines()


def _sources_fail(content: Path, tmp_path: Path, added: str) -> list[str]:
    """The sources.yaml problems a build prints once ``added`` is listed."""
    sources = content / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + added, encoding="utf-8")
    lines = _registry_fails(content, tmp_path)
    return [line for line in lines if "sources.yaml:" in line]


def test_alias_bomb_is_refused_within_a_second(content, tmp_path):
    path = content / "regions.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    registry = RegionRegistry(SETTINGS, path)
    seconds = time.perf_counter() - started
    assert seconds < 1.0, f"the registry took {seconds:.2f} s"
    assert [(p.line, p.message[:30]) for p in registry.problems] == [
        (4, "YAML anchors and aliases (&nam")
    ]
    lines = _registry_fails(content, tmp_path)
    assert any(
        line.endswith(
            "regions.yaml:4: YAML anchors and aliases (&name, *name) are not "
            "allowed in a registry; write each value out"
        )
        for line in lines
    ), lines


def test_every_region_registry_problem_with_its_line(content, tmp_path):
    (content / "regions.yaml").write_text(
        "regions:\n"  # 1
        "  - code: semenanjung-a\n"  # 2
        "    name: Tanjung A\n"  # 3
        "    aliases: Tanjung\n"  # 4: a string, not a list
        "  - code: tanjung-b\n"  # 5
        "    name: Tanjung B\n"  # 6
        "    aliases: [Tanjung A]\n"  # 7: another entry's name
        "  - code: tanjung-b\n"  # 8: the same code again
        "    name: Tanjung C\n"  # 9
        "  - code: pulau-x\n"  # 10
        "    name: Pulau X\n"  # 11
        "    parent: pulau-y\n"  # 12
        "  - code: pulau-y\n"  # 13
        "    name: Pulau Y\n"  # 14
        "    parent: pulau-x\n"  # 15: X -> Y -> X (said on line 12)
        "  - code: kota-baru\n"  # 16
        "    name: Kota Baru\n"  # 17
        "    aliases: [Gaza]\n"  # 18: the gazetteer's Jalur Gaza
        "    parnt: ID\n",  # 19: unknown field
        encoding="utf-8",
    )
    (content / "items" / "baik-2.md").write_text(
        _item("Baik dua", "Tanjung A"), encoding="utf-8"
    )
    lines = [
        line for line in _registry_fails(content, tmp_path) if "regions.yaml" in line
    ]
    where = {int(line.split("regions.yaml:")[1].split(":")[0]) for line in lines}
    assert where == {4, 7, 8, 12, 18, 19}, lines
    text = "\n".join(lines)
    assert "'aliases' must be a list, e.g. aliases: [Tanjung]" in text
    assert '"Tanjung A" is already a name of Tanjung A (semenanjung-a) (line 3)' in text
    assert "code 'tanjung-b' is given twice (first on line 5)" in text
    assert "'parent' makes a cycle (pulau-x -> pulau-y -> pulau-x)" in text
    assert '"Gaza" already means Jalur Gaza (gaza);' in text
    assert "unknown field 'parnt'" in text and 'did you mean "parent"?' in text


def test_duplicate_source_is_an_error_but_items_still_resolve(content, tmp_path):
    sources = content / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8") + "  - name: SinarHarapan.id\n"
        "    homepage: https://sinarharapan.id/\n"
        "    kind: outlet\n"
        "  - name: Harian Dua\n"
        "    aliases: [Reuters]\n"
        "    homepage: https://dua.example/\n"
        "    kind: outlet\n"
        "  - name: Harian Tiga\n"
        "    kind: koran\n",
        encoding="utf-8",
    )
    lines = _registry_fails(content, tmp_path)
    problems = [line for line in lines if ": " in line and "sources.yaml:" in line]
    assert len(problems) == 4, lines
    # In the file's order, each naming its source.
    assert (
        problems[2]
        .split("sources.yaml:")[1]
        .startswith("25: source Harian Tiga is missing homepage")
    ), problems
    assert (
        problems[3]
        .split("sources.yaml:")[1]
        .startswith("26: source Harian Tiga: kind 'koran' is not one of")
    ), problems
    assert (
        problems[0]
        .split("sources.yaml:")[1]
        .startswith('18: source "SinarHarapan.id" is already listed (line 2)')
    )
    assert (
        problems[1]
        .split("sources.yaml:")[1]
        .startswith('22: "Reuters" already names Reuters (line 8)')
    )
    assert not any("unknown source" in line for line in lines), lines


def test_source_aliases_must_be_a_list(tmp_path):
    text = (FIXTURE / "sources.yaml").read_text(encoding="utf-8")
    registry_file = tmp_path / "sources.yaml"
    registry_file.write_text(
        text.replace(
            "aliases: [Sinar Harapan, sinarharapan.id]", "aliases: Sinar Harapan"
        ),
        encoding="utf-8",
    )
    registry = SourceRegistry(SETTINGS, registry_file)
    assert [(p.line, p.message) for p in registry.problems] == [
        (
            3,
            "'aliases' must be a list, e.g. aliases: [Sinar Harapan] "
            "(got 'Sinar Harapan')",
        )
    ]
    # Not split into letters: "S" is no alias.
    assert registry.resolve("S").value is None
    assert registry.resolve("SinarHarapan.id").value.name == "SinarHarapan.id"


def test_a_registry_change_rewrites_the_pages_that_show_it(content, tmp_path):
    """Pages are not rendered again when what they show is unchanged; a
    parent changed in regions.yaml is what a region page shows."""
    registry = content / "regions.yaml"
    registry.write_text(
        "regions:\n  - code: pulau-a\n    name: Pulau A\n    parent: JP\n",
        encoding="utf-8",
    )
    (content / "items" / "pulau.md").write_text(
        _item("Pulau", "Pulau A"), encoding="utf-8"
    )
    output = tmp_path / "output"
    for parent, name in (("JP", "Jepang"), ("KR", "Korea Selatan")):
        registry.write_text(
            registry.read_text(encoding="utf-8").replace("JP", parent),
            encoding="utf-8",
        )
        result = run_build("--content", str(content), "--output", str(output))
        assert result.returncode == 0, result.stderr
        region_page = html.fromstring(
            (output / "wilayah/pulau-a/index.html").read_bytes()
        )
        assert region_page.xpath("//p[@class='lede']/a[1]/text()") == [name]
        country = region_page.xpath("//p[@class='lede']/a[1]/@href")[0]
        assert (output / country.strip("/") / "index.html").is_file()


def test_a_sources_country_and_language_are_codes(content, tmp_path):
    """A source's country and language are shown by name on its page: a value
    CLDR does not know is an error naming the code meant."""
    sources = content / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8") + "  - name: Harian Tiga\n"
        "    homepage: https://tiga.example/\n"
        "    kind: outlet\n"
        "    country: GBR\n"
        "    language: Indonesia\n"
        "  - name: Harian Empat\n"
        "    homepage: https://empat.example/\n"
        "    kind: outlet\n"
        "    country: Korea Utara\n"
        "    language: kor\n"
        "  - name: Harian Lima\n"
        "    homepage: https://lima.example/\n"
        "    kind: outlet\n"
        "    country: XY\n"
        "    language: EN\n",
        encoding="utf-8",
    )
    lines = [
        line for line in _registry_fails(content, tmp_path) if "sources.yaml:" in line
    ]
    text = "\n".join(lines)
    assert len(lines) == 6, lines
    for written, meant in (("GBR", "GB"), ("Korea Utara", "KP"), ("Indonesia", "id"),
                           ("kor", "ko"), ("EN", "en")):  # fmt: skip
        assert re.search(
            rf"'{written}' is not a [^\n]*Did you mean \"{meant}\"", text
        ), text
    assert "country 'XY' is not a two-letter ISO 3166-1 code" in text


@pytest.mark.parametrize("registry", ["sources.yaml", "regions.yaml"])
def test_an_unreadable_registry_is_the_one_problem_reported(
    content, tmp_path, registry
):
    """A registry that does not parse is one problem, with its line: not
    also "unknown source" or "unknown region" for every item naming one."""
    path = content / registry
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    at = next(n for n, line in enumerate(lines) if "name:" in line)
    lines[at] = lines[at].replace("name: ", "name: X\x0b", 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    said = [line for line in _registry_fails(content, tmp_path) if ": " in line]
    problems = [line for line in said if not line.startswith(("critical", "kilas:"))]
    assert len(problems) == 1, said
    assert (
        f"{registry}:{at + 1}: not valid YAML: the control character U+000B"
        in problems[0]
    )


def test_a_homepage_no_link_can_hold_is_named(content, tmp_path):
    """A source's homepage with a space or an unclosed bracket passed (it
    starts with https://) and became a broken link on the source's page;
    the bracket also stopped the build with a Python error."""
    sources = content / "sources.yaml"
    lines = sources.read_text(encoding="utf-8").count("\n")
    said = _sources_fail(
        content,
        tmp_path,
        "  - name: Harian Spasi\n    homepage: https://harian spasi.example/\n"
        "    kind: outlet\n"
        "  - name: Harian Kurung\n    homepage: https://[harian/\n    kind: outlet\n",
    )
    assert [line.split("sources.yaml:")[1].split(":")[0] for line in said] == [
        str(lines + 2),
        str(lines + 5),
    ], said
    assert (
        "homepage 'https://harian spasi.example/' must be an http(s) address" in said[0]
    )
    assert "homepage 'https://[harian/' must be an http(s) address" in said[1]


def test_a_renamed_source_keeps_its_address_with_a_slug(content, tmp_path):
    """Renaming a source in sources.yaml (SinarHarapan.id becomes Sinar
    Harapan Daring, the old name an alias) moved its page and its feed to a
    new address: links and feed subscriptions to the old one broke. A
    `slug:` keeps the address; a slug that is none, or one two sources
    would share, is named on its line."""
    sources = content / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    renamed = text.replace(
        "  - name: SinarHarapan.id\n    aliases: [Sinar Harapan, sinarharapan.id]\n",
        "  - name: Sinar Harapan Daring\n    slug: sinarharapanid\n"
        "    aliases: [SinarHarapan.id, Sinar Harapan, sinarharapan.id]\n",
    )
    assert renamed != text
    sources.write_text(renamed, encoding="utf-8")
    output = tmp_path / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = html.parse(str(output / "sumber" / "sinarharapanid" / "index.html"))
    assert "Sinar Harapan Daring" in page.xpath("string(//h1)")
    assert (output / "feeds" / "sumber" / "sinarharapanid.atom.xml").is_file()
    assert not (output / "sumber" / "sinar-harapan-daring").exists()

    lines = renamed.count("\n")
    said = _sources_fail(
        content,
        tmp_path / "again",
        "  - name: Harian Lain\n    slug: Harian Lain\n"
        "    homepage: https://lain.example/\n    kind: outlet\n"
        "  - name: Reuters Indonesia\n    slug: reuters\n"
        "    homepage: https://reuters.example/\n    kind: agency\n",
    )
    assert [line.split("sources.yaml:")[1].split(":")[0] for line in said] == [
        str(lines + 2),
        str(lines + 6),
    ], said
    assert "slug 'Harian Lain' is not a slug" in said[0]
    assert "its page would be at the address of Reuters (line" in said[1]
    assert "sumber/reuters/: give one of them another 'slug:'" in said[1]
