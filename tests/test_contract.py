"""The item contract: one test per rule, each with its own small item.

Each bad-input test builds a fixture site once, adds one broken item, builds
again and asserts: exit status 1, the file, the line, the field, the
suggestion, and an ``output/`` byte-identical to the one before.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, run_build, snapshot
from lxml import etree, html
from PIL import Image

FIXTURE = Path(__file__).parent / "fixtures" / "contract"

GOOD = """Title: {title}
Date: 2024-08-04 10:30
Category: Internasional
Region: {region}
Source: SinarHarapan.id
Summary: Ringkasan.

Isi.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture content and a good build of it, made once."""
    root = tmp_path_factory.mktemp("contract")
    content = root / "content"
    shutil.copytree(FIXTURE, content)
    output = root / "output"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    return content, output


@pytest.fixture
def site(built, tmp_path):
    """A fresh copy of the good content and its output for one test."""
    content, output = built
    shutil.copytree(content, tmp_path / "content")
    shutil.copytree(output, tmp_path / "output")
    return tmp_path / "content", tmp_path / "output"


def _fails(site, files: dict[str, bytes | str]) -> str:
    """Add ``files``, build, assert failure and untouched output; return stderr."""
    content, output = site
    before = snapshot(output)
    for name, text in files.items():
        path = content / "items" / name
        data = text.encode("utf-8") if isinstance(text, str) else text
        path.write_bytes(data)
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "output/ was left as it was" in result.stderr
    assert snapshot(output) == before
    for name, text in files.items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        assert (content / "items" / name).read_bytes() == data
    return result.stderr


def _item(**fields: str) -> str:
    """A good item with some fields replaced (None removes a field)."""
    values = {
        "Title": "Judul",
        "Date": "2024-08-04 10:30",
        "Category": "Internasional",
        "Region": "KP",
        "Source": "SinarHarapan.id",
        "Summary": "Ringkasan.",
    }
    values.update(fields)
    header = "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)
    return header + "\nIsi.\n"


def _line(stderr: str, path: str) -> str:
    lines = [line for line in stderr.splitlines() if path in line]
    assert lines, stderr
    return lines[0]


def _built_page(site, name: str, text: str):
    """Add the item ``name`` (``items/<name>.md``), build (it must succeed);
    its page, parsed."""
    content, output = site
    (content / "items" / f"{name}.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    return html.fromstring((output / f"2024/08/{name}/index.html").read_bytes())


def _builds_saying(site, items: dict[str, str], needle: str) -> list[str]:
    """Add ``items``, build (it must succeed); the lines printed holding
    ``needle`` (notices)."""
    content, output = site
    for name, text in items.items():
        (content / "items" / name).write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    return [
        line for line in (result.stdout + result.stderr).splitlines() if needle in line
    ]


def test_missing_required_field(site):
    stderr = _fails(site, {"tanpa-ringkasan.md": _item(Summary=None)})
    line = _line(stderr, "tanpa-ringkasan.md")
    assert re.search(r"items/tanpa-ringkasan\.md: Summary: is missing", line)


def test_unknown_region_suggests_nearest(site):
    stderr = _fails(site, {"wilayah.md": _item(Region="Korea Utaraa")})
    line = _line(stderr, "wilayah.md")
    assert "items/wilayah.md:4: Region: unknown region" in line
    assert '"Korea Utaraa"' in line
    assert 'Did you mean "Korea Utara"?' in line


def test_unknown_source_suggests_nearest(site):
    stderr = _fails(site, {"sumber.md": _item(Source="Sinar Harapn")})
    line = _line(stderr, "sumber.md")
    assert "items/sumber.md:5: Source: unknown source" in line
    assert 'Did you mean "Sinar Harapan"?' in line


def test_a_source_written_as_its_site_names_the_source(site):
    """Editors paste the report's address, or the outlet's domain: the
    source whose homepage is on that site is named."""
    address = "https://www.reuters.com/world/asia-pacific/banjir-2024-08-04/"
    stderr = _fails(
        site,
        {
            "alamat.md": _item(Source=address),
            "domain.md": _item(Source="www.reuters.com", Title="Domain"),
        },
    )
    assert (
        f'items/alamat.md:5: Source: "{address}" is an address, not a source:'
        ' write "Reuters" here, and put the address of the report in'
        " 'Source_URL:'"
    ) in _line(stderr, "alamat.md")
    assert 'Did you mean "Reuters"?' in _line(stderr, "domain.md")


def test_unknown_cited_source_suggests_nearest(site):
    stderr = _fails(site, {"kutip.md": _item(Cites="Reuter; SinarHarapan.id")})
    line = _line(stderr, "kutip.md")
    assert "items/kutip.md:7: Cites: unknown source" in line
    assert 'Did you mean "Reuters"?' in line


def test_date_that_does_not_parse(site):
    stderr = _fails(site, {"tanggal.md": _item(Date="04/08/2024 10:30")})
    line = _line(stderr, "tanggal.md")
    assert "items/tanggal.md:2: Date:" in line
    assert "ISO 8601" in line
    assert 'Did you mean "2024-08-04 10:30"?' in line


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("4 Agustus 2024", "2024-08-04 00:00"),
        ("Minggu, 4 Agustus 2024 pukul 10.30 WIB", "2024-08-04 10:30 WIB"),
        ("4 Agt 2024 14.00 WITA", "2024-08-04 14:00 WITA"),
        ("2024-8-4 9:05", "2024-08-04 09:05"),  # year first: never April
        ("2024/08/04 10:30", "2024-08-04 10:30"),
        ("4 Agustus 2024 10:30 +09:00", "2024-08-04T10:30+09:00"),
        ("2024-08-04 10:30 GMT+7", "2024-08-04T10:30+07:00"),  # not POSIX's -7
        ("4 Agustus 2024 10.30 UTC+8", "2024-08-04T10:30+08:00"),
        ("20240804", "2024-08-04 00:00"),  # ISO's basic form: never 8 April
        ("2024-08-04 10:30 PST", None),  # a zone it cannot read: no guess
        ("2024-13-01", None),  # no month 13: not read as 13 January
        ("Agustus 2024", None),  # no day
        ("kemarin", None),
    ],
)
def test_a_date_written_another_way_gets_the_date_meant(site, written, meant):
    stderr = _fails(site, {"tanggal.md": _item(Date=written)})
    line = _line(stderr, "tanggal.md")
    assert f'items/tanggal.md:2: Date: "{written}" is not a date' in line
    assert "UnknownTimezoneWarning" not in stderr
    if meant:
        assert line.endswith(f'Did you mean "{meant}"?'), line
    else:
        assert "Did you mean" not in line, line


@pytest.mark.parametrize(
    ("written", "why", "meant"),
    [
        ("2023-02-29 08:00", "February 2023 has 28 days", None),
        ("2024-04-31", "April 2024 has 30 days", None),
        ("2024-08-04 24:00", "24:00 is 00:00 of the next day", "2024-08-05 00:00"),
        (
            "2024-12-31 24.00 WIB",
            "24:00 is 00:00 of the next day",
            "2025-01-01 00:00 WIB",
        ),
        ("2024-08-04 25:10", "hours run from 00 to 23, not 25", None),
        ("2024-08-04 10:75", "minutes run from 00 to 59, not 75", None),
    ],
)
def test_a_date_no_calendar_has_says_why(site, written, why, meant):
    """The shape of a date with a part out of its range: what is wrong."""
    stderr = _fails(site, {"tanggal.md": _item(Date=written)})
    line = _line(stderr, "tanggal.md")
    assert f'items/tanggal.md:2: Date: "{written}" is not a date: {why}' in line
    if meant:
        assert line.endswith(f'Did you mean "{meant}"?'), line
    else:
        assert "Did you mean" not in line, line


def test_modified_before_date(site):
    stderr = _fails(site, {"ubah.md": _item(Modified="2024-08-03 09:00")})
    line = _line(stderr, "ubah.md")
    assert "items/ubah.md:7: Modified:" in line
    assert "earlier than Date" in line


def test_modified_before_date_in_other_zones_says_the_sites_times(site):
    """01:15 WIT is 23:15 WIB of the day before: the message said
    "2024-12-31T23:15:00+07:00 is earlier than Date 2024-12-31T23:30:00+07:00",
    times the editor wrote in neither form."""
    text = _item(Date="2025-01-01 00:30 +08:00", Modified="2025-01-01 01:15 +09:00")
    line = _line(_fails(site, {"zona.md": text}), "zona.md")
    assert (
        "Modified: 2024-12-31 23:15 WIB is earlier than Date 2024-12-31 23:30 WIB;"
        in line
    ), line


@pytest.mark.parametrize("url", ["ftp://contoh.id/berita", "javascript:alert(1)"])
def test_source_url_must_be_http(site, url):
    stderr = _fails(site, {"tautan.md": _item(Source_URL=url)})
    line = _line(stderr, "tautan.md")
    assert "items/tautan.md:7: Source_URL:" in line
    assert "only http:// and https://" in line


def test_a_pasted_address_is_published_as_a_valid_link(site):
    """Spaces and ``<`` in a pasted Source_URL are percent-encoded as a
    browser sends them (the page held ``href="https://x/a b"``); an address
    without its scheme gets the https one as a suggestion."""
    content, output = site
    url = "https://contoh.id/berita banjir/<2024>?q=a b"
    text = _item(Title="Alamat").replace("Summary:", f"Source_URL: {url}\nSummary:")
    (content / "items" / "alamat.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = (output / "2024/08/alamat/index.html").read_text(encoding="utf-8")
    assert 'href="https://contoh.id/berita%20banjir/%3C2024%3E?q=a%20b"' in page
    assert 'href="https://contoh.id/berita banjir' not in page
    bare = _item().replace("Summary:", "Source_URL: www.contoh.id/x\nSummary:")
    line = _line(_fails(site, {"tanpa-skema.md": bare}), "tanpa-skema.md")
    assert line.endswith('Did you mean "https://www.contoh.id/x"?'), line


def test_unknown_field_that_looks_known(site):
    text = _item(Region=None) + ""
    text = text.replace("Source:", "Regoin: KP\nSource:")
    stderr = _fails(site, {"ejaan.md": text})
    line = _line(stderr, "Regoin")
    assert "items/ejaan.md:4: Regoin: unknown field" in line
    assert 'Did you mean "Region"?' in line


def test_two_items_with_the_same_url(site):
    """Two items of one slug: named on the second's Slug line (before
    Pelican's "There are 2 original items with slug ..."), with both files."""
    text = _item(Slug="sama")
    stderr = _fails(site, {"satu.md": text, "dua.md": text})
    line = _line(stderr, 'the slug "sama" is also')
    assert "items/satu.md:7: Slug: " in line and "items/dua.md" in line, line
    assert "There are 2" not in stderr


def test_one_file_name_in_two_month_folders_is_named(site):
    """A recurring item (kurs-rupiah.md every month): two addresses, but
    one slug, which tells items and their translations apart."""
    content, _ = site
    for month in ("07", "08"):
        (content / "items" / month).mkdir()
    files = {
        f"{month}/kurs-rupiah.md": _item(
            Title=f"Kurs {month}", Date=f"2024-{month}-01 09:00"
        )
        for month in ("07", "08")
    }
    line = _line(_fails(site, files), 'the file name "kurs-rupiah.md" is also')
    assert "items/08/kurs-rupiah.md: the file name" in line, line
    assert "(e.g. kurs-rupiah-2024-08-01.md)" in line, line


def test_file_that_is_not_utf8(site):
    raw = _item(Title="Caf\u00e9 rusak").encode("latin-1")
    stderr = _fails(site, {"latin.md": raw})
    line = _line(stderr, "latin.md")
    assert "items/latin.md:1: the file is not UTF-8" in line
    assert "byte 0xe9" in line


def test_empty_file(site):
    stderr = _fails(site, {"kosong.md": "  \n\n"})
    assert "items/kosong.md: the file is empty" in _line(stderr, "kosong.md")


def test_one_run_names_every_broken_item(site):
    stderr = _fails(
        site,
        {
            "a.md": _item(Region="Atlantis"),
            "b.md": _item(Date="kemarin"),
            "c.md": _item(Source="Antara"),
        },
    )
    for name in ("a.md", "b.md", "c.md"):
        assert f"items/{name}:" in stderr
    assert "3 problem(s) in 3 file(s)" in stderr
    assert stderr.count("build failed") == 1


def test_check_reports_the_same_and_writes_nothing(site, tmp_path):
    content, _ = site
    (content / "items" / "x.md").write_text(_item(Region="Atlantis"))
    output = tmp_path / "never"
    result = run_build("--content", str(content), "--output", str(output), "--check")
    assert result.returncode == 1
    assert "items/x.md:4: Region: unknown region" in result.stderr
    assert not output.exists()


def test_accepts_bom_crlf_separators_spaces_and_case(site):
    content, output = site
    text = (
        "\ufefftitle:   Butir Longgar  \r\n"
        "DATE: 2024-08-05 08:00\r\n"
        "category: internasional\r\n"
        "REGION:  KP ,  Rusia , kp \r\n"
        "source: sinar harapan\r\n"
        "cites: Reuters ; reuters\r\n"
        "Tags: banjir,  bantuan , banjir\r\n"
        "summary: Ringkasan longgar.\r\n"
        "\r\n"
        "Isi.\r\n"
    )
    (content / "items" / "longgar.md").write_bytes(text.encode("utf-8"))
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    page = html.fromstring((output / "2024/08/longgar/index.html").read_bytes())
    meta = page.xpath("//dl[@class='article-meta']")[0].text_content()
    assert "Korea Utara, Rusia" in meta
    assert "SinarHarapan.id" in meta
    assert " Reuters" in meta and "Reuters, Reuters" not in meta
    tags = page.xpath("//dl[@class='article-meta']//a[contains(@href, '/tag/')]")
    assert [a.text for a in tags] == ["banjir", "bantuan"]


def test_markup_in_values_stays_text(site):
    content, output = site
    title = 'Banjir & "Bantuan" <script>alert(1)</script>'
    item = _item(
        Title=title,
        Source='Warta "Kilat" <Harian> & Co',
        Summary='Ringkasan <script>alert(2)</script> & "kutipan"',
    )
    (content / "items" / "skrip.md").write_text(item, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    for path in output.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert "<script>alert" not in text, path
            assert "<Harian>" not in text, path
    page = html.fromstring((output / "2024/08/skrip/index.html").read_bytes())
    # typogrify curls the quotes; the tags stay text, in <title> and <h1>.
    assert page.findtext(".//title").startswith("Banjir & “Bantuan”")
    assert "<script>alert(1)</script>" in page.findtext(".//title")
    assert "<script>alert(1)</script>" in page.xpath("string(//h1)")
    assert page.xpath("//meta[@name='description']/@content")[0].startswith(
        "Ringkasan <script>alert(2)</script>"
    )


def test_region_spellings_resolve_to_one_region(site):
    content, output = site
    for name, spelling in (
        ("kode", "KP"),
        ("nama", "Korea Utara"),
        ("en", "North Korea"),
    ):
        (content / "items" / f"{name}.md").write_text(
            GOOD.format(title=f"Butir {name}", region=spelling), encoding="utf-8"
        )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    shown = set()
    for name in ("kode", "nama", "en"):
        page = html.fromstring((output / f"2024/08/{name}/index.html").read_bytes())
        meta = page.xpath("//dl[@class='article-meta']/dd")
        shown.add(
            next(d.text_content().strip() for d in meta if "Korea" in d.text_content())
        )
    assert shown == {"Korea Utara"}


# -- issue 12: prompts, summary links, field names in Indonesian -------------
def test_prompts_of_invoke_new_are_refused_outside_drafts(site):
    from kilas.scaffold import BODY_PROMPT, SUMMARY_PROMPT

    text = _item(Summary=SUMMARY_PROMPT).replace("\nIsi.\n", f"\n{BODY_PROMPT}\n")
    stderr = _fails(
        site,
        {
            "kerangka.md": text,
            "kerangka-hidden.md": text.replace("Summary:", "Status: hidden\nSummary:"),
        },
    )
    line = _line(stderr, "kerangka.md:6")
    assert "items/kerangka.md:6: Summary: still holds the prompt" in line
    assert "of `invoke new`" in line
    assert "items/kerangka.md:8: Body: still holds the prompt" in stderr
    assert "items/kerangka-hidden.md:7: Summary: still holds the prompt" in stderr
    assert "items/kerangka-hidden.md:9: Body: still holds the prompt" in stderr


def test_a_draft_may_keep_the_prompts(site):
    from kilas.scaffold import BODY_PROMPT, SUMMARY_PROMPT

    content, output = site
    text = _item(Summary=SUMMARY_PROMPT, Status="draft").replace(
        "\nIsi.\n", f"\n{BODY_PROMPT}\n"
    )
    (content / "items" / "draf.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert (output / "draf" / "draf" / "index.html").is_file()


@pytest.mark.parametrize(
    ("summary", "target"),
    [
        ("Lihat [laporan](javascript:alert(1)) ini.", "javascript:alert(1)"),
        ("Lihat [laporan](JaVaScript:alert(1)).", "JaVaScript:alert(1)"),
        ("Lihat ![peta](data:image/png;base64,AAAA).", "data:image/png;base64,AAAA"),
        ("Lihat [laporan](vbscript:msgbox(1)).", "vbscript:msgbox(1)"),
        ('Lihat <a href="javascript:alert(1)">laporan</a>.', "javascript:alert(1)"),
        ("Lihat <javascript:alert(1)> ini.", "javascript:alert(1)"),
        ("Surel [redaksi](mailto:redaksi@contoh.id).", "mailto:redaksi@contoh.id"),
        ('Lihat <img src="data:text/html,x">.', "data:text/html,x"),
    ],
)
def test_summary_links_must_be_web_or_relative(site, summary, target):
    stderr = _fails(site, {"tautan-ringkas.md": _item(Summary=summary)})
    line = _line(stderr, "tautan-ringkas.md")
    assert (
        f'items/tautan-ringkas.md:6: Summary: the link "{target}" is not allowed'
        in (line)
    )
    assert "http:// or https://" in line


def test_summary_links_to_the_web_and_the_site_are_kept(site):
    content, output = site
    summary = (
        "Menurut [laporan](https://sinarharapan.id/x?a=1&b=2), [arsip](/linimasa/)"
        " dan [butir lain](../putin/)."
    )
    (content / "items" / "baik-tautan.md").write_text(_item(Summary=summary))
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    tree = html.fromstring((output / "2024/08/baik-tautan/index.html").read_bytes())
    hrefs = tree.xpath("//div[@class='summary']//a/@href")
    assert hrefs == ["https://sinarharapan.id/x?a=1&b=2", "/linimasa/", "../putin/"]


def test_a_summary_link_to_another_item_is_resolved_everywhere(site):
    """``{filename}`` in a summary becomes the item's address on the item's
    page, in lists and in feeds (plugins read summaries before Pelican
    resolved their links, and Pelican keeps the first summary it made)."""
    content, output = site
    first = sorted((content / "items").glob("*.md"))[0]
    summary = f"Lanjutan dari [laporan sebelumnya]({{filename}}/items/{first.name})."
    (content / "items" / "lanjutan.md").write_text(_item(Summary=summary))
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    files = [p for p in output.rglob("*") if p.suffix in (".html", ".xml")]
    assert not [p for p in files if "{filename}" in p.read_text(encoding="utf-8")]
    page = html.fromstring((output / "2024/08/lanjutan/index.html").read_bytes())
    [href] = page.xpath("//div[@class='summary']//a/@href")
    assert (output / href.strip("/") / "index.html").is_file(), href
    assert f'href="{href}"' in (output / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Judul", "Title"),
        ("Tanggal", "Date"),
        ("Diperbarui", "Modified"),
        ("Kategori", "Category"),
        ("Wilayah", "Region"),
        ("Daerah", "Region"),
        ("Sumber", "Source"),
        ("Url-Sumber", "Source_URL"),
        ("Mengutip", "Cites"),
        ("Cerita", "Story"),
        ("Ringkasan", "Summary"),
        ("Label", "Tags"),
        ("Tag", "Tags"),
        ("Penulis", "Author"),
        ("Bahasa", "Lang"),
        ("Gambar", "Image"),
        ("Koreksi", "Correction"),
        ("Terjemahan", "Translation"),
    ],
)
def test_field_names_in_indonesian_get_the_english_name(site, written, meant):
    text = _item().replace("Summary:", f"{written}: sesuatu\nSummary:")
    stderr = _fails(site, {"bahasa-indonesia.md": text})
    line = _line(stderr, f": {written}:")
    assert f"items/bahasa-indonesia.md:6: {written}: unknown field" in line
    assert "field names are in English" in line
    assert line.endswith(f'Did you mean "{meant}"?')


@pytest.mark.parametrize(
    ("field", "written", "meant"),
    [
        ("Status", "terbit", "published"),
        ("Status", "Draf", "draft"),
        ("Status", "tersembunyi", "hidden"),
        ("Lang", "Inggris", "en"),
        ("Lang", "english", "en"),
        ("Pin", "1", None),
    ],
)
def test_field_values_in_indonesian_get_the_value_meant(site, field, written, meant):
    text = _item().replace("Summary:", f"{field}: {written}\nSummary:")
    line = _line(_fails(site, {"nilai.md": text}), "nilai.md")
    assert f'items/nilai.md:6: {field}: "{written}" is not' in line
    if meant:
        assert line.endswith(f'Did you mean "{meant}"?'), line
    else:
        assert "Allowed: true, false (or yes, no, ya, tidak)" in line


def test_a_language_code_is_written_as_cldr_writes_it(site):
    """``Lang: EN`` is English: the item's address, its page's lang and its
    interface are those of ``en`` (it was /EN/... with Indonesian words)."""
    content, output = site
    text = _item(Title="Judul Inggris").replace("Summary:", "Lang: EN\nSummary:")
    (content / "items" / "inggris.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert not (output / "EN").exists()
    [built] = output.glob("en/**/inggris/index.html")
    tree = html.fromstring(built.read_bytes())
    assert tree.get("lang") == "en"
    assert "Sunday, 4 August 2024" in tree.xpath("string(//article//time)")


@pytest.mark.parametrize("code", ["id-ID", "id_ID", "ID-id"])
def test_the_sites_language_where_it_is_spoken_is_the_sites(site, code):
    """``Lang: id-ID`` (as a locale is written on a computer) on the
    Indonesian site was a foreign item: published under /id-ID/, offered
    as a language of its own. It is the site's language; en-GB stays
    English of Britain."""
    content, output = site
    text = _item(Title="Judul Lokal").replace("Summary:", f"Lang: {code}\nSummary:")
    (content / "items" / "lokal.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert not list(output.glob("id*/**/lokal/index.html"))
    [built] = output.glob("2024/08/lokal/index.html")
    assert html.fromstring(built.read_bytes()).get("lang") == "id"


_HEADER = _item().split("\n\n")[0].split("\n")  # Title .. Summary, one per line


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        pytest.param(
            "\n" + _item(),
            1,
            "the file starts with a blank line, which ends the header, so Title"
            " (line 2), Date (line 3), Category (line 4), Region (line 5), Source"
            " (line 6) and Summary (line 7) below it are read as the item's text",
            id="blank first line",
        ),
        pytest.param(
            "\n".join([*_HEADER[:4], "", *_HEADER[4:]]) + "\n\nIsi.\n",
            5,
            "a blank line ends the header here, so Source (line 6) and Summary"
            " (line 7) below it are read as the item's text",
            id="blank line inside",
        ),
        pytest.param(
            "\n".join([*_HEADER[:5], "Source URL: https://contoh.id/a", *_HEADER[5:]])
            + "\n\nIsi.\n",
            6,
            '"Source URL: https://contoh.id/a" is not a "Field: value" line and'
            ' ends the header here (did you mean "Source_URL: ..."?), so Summary'
            " (line 7) below it is read as the item's text",
            id="space in a field name",
        ),
        pytest.param(
            "---\n" + _item().replace("\n\n", "\n---\n\n", 1),
            1,
            '"---" starts YAML front matter (as in Jekyll or Hugo); Kilas reads'
            ' the header as "Field: value" lines from the first line of the'
            ' file: remove the "---" lines',
            id="YAML front matter",
        ),
        pytest.param(
            '+++\ntitle = "Judul"\ndate = 2024-08-04\n+++\n\nIsi.\n',
            1,
            "remove the \"+++\" lines and write 'Title: ...', not 'title = ...'",
            id="TOML front matter",
        ),
    ],
)
def test_a_header_that_ends_too_early_says_where_and_why(site, text, line, expected):
    """Fields left below the header's end are read as text: the one problem
    is the line that ended the header, not "Title: is missing" six times."""
    stderr = _fails(site, {"awal.md": text})
    found = [row for row in stderr.splitlines() if "items/awal.md" in row]
    assert len(found) == 1, stderr
    assert f"items/awal.md:{line}: " in found[0]
    assert expected in found[0]
    assert "is missing" not in stderr


def test_an_optional_field_below_the_header_is_a_notice(site):
    """Only optional fields below the header: the item is built (its text
    shows them) and the build says which line ended the header."""
    content, output = site
    text = _item().replace("\n\nIsi.", "\n\nAuthor: Budi\n\nIsi.")
    (content / "items" / "catatan.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert (
        "items/catatan.md:7: a blank line ends the header here, so Author"
        " (line 8) below it is read as the item's text"
    ) in result.stdout + result.stderr
    # A body that starts like a field no header lacks says nothing.
    (content / "items" / "catatan.md").write_text(
        _item().replace("\n\nIsi.", "\n\nCatatan: bukan field.\n\nIsi."),
        encoding="utf-8",
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert "catatan.md:7" not in result.stdout + result.stderr


def test_a_story_misspelt_once_is_a_notice_naming_the_story(site):
    """A story named by one item, a letter from the story of two others, is
    built (a new story is no mistake) with a notice on its line; another
    year's story is another story."""
    content, output = site
    for name, story in (
        ("a.md", "Banjir Demak 2024"),
        ("b.md", "Banjir Demak 2024"),
        ("c.md", "Banjir Demka 2024"),
        ("d.md", "Banjir Demak 2023"),
    ):
        text = _item(Title=f"Cerita {name}", Story=story)
        (content / "items" / name).write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    said = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "Story:" in line
    ]
    assert len(said) == 1, said
    assert (
        'items/c.md:7: Story: "Banjir Demka 2024" is a story of this item alone,'
        in said[0]
    )
    assert 'beside "Banjir Demak 2024" (2 items)' in said[0]


def test_control_characters_are_named_by_line_column_and_field(site):
    """Pasted text brings characters no feed may carry (XML 1.0): each is
    named where it is, instead of a build failing on "Control characters
    are not supported in XML 1.0" with no file."""
    text = _item(Title="Judul\x0bbaris", Summary="Ring\x1fkasan.") + "Isi\x7f akhir.\n"
    stderr = _fails(site, {"kontrol.md": text})
    said = [line for line in stderr.splitlines() if "kontrol.md" in line]
    assert len(said) == 3, said
    assert (
        "kontrol.md:1: Title: holds the control character U+000B at column 13"
        in said[0]
    )
    assert (
        "kontrol.md:6: Summary: holds the control character U+001F at column 14"
        in said[1]
    )
    assert (
        "kontrol.md:9: Body: holds the control character U+007F at column 4" in said[2]
    )
    assert "XML 1.0" not in stderr


def test_a_hashtag_is_the_tag(site):
    """Editors write tags as on social media: ``#banjir`` is ``banjir``
    (one page, one name); a lone ``#`` is no tag."""
    content, output = site
    for name, tags in (("a.md", "#banjir, #Demak"), ("b.md", "banjir")):
        text = _item(Title=f"Tagar {name}").replace(
            "Summary:", f"Tags: {tags}\nSummary:"
        )
        (content / "items" / name).write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = html.fromstring((output / "2024/08/a/index.html").read_bytes())
    assert page.xpath("//a[contains(@href, '/tag/') and @href != '/tag/']/text()") == [
        "banjir",
        "Demak",
    ]
    assert (
        "#"
        not in html.fromstring((output / "tag/index.html").read_bytes()).text_content()
    )
    bad = _item().replace("Summary:", "Tags: #, banjir\nSummary:")
    line = _line(_fails(site, {"c.md": bad}), "c.md")
    assert 'items/c.md:6: Tags: "#" is not a tag' in line


@pytest.mark.parametrize("name", ["%%%.md", "🔥🔥.md", "—.md"])
def test_a_file_name_of_symbols_only_names_the_file(site, name):
    """Such a name leaves nothing for the URL: the item took its folder's
    address (/2024/08/) without a word. A name from the title is offered."""
    stderr = _fails(site, {name: _item(Title="Gempa Guncang Cianjur")})
    line = _line(stderr, name)
    assert f'the file name "{name}" gives no address' in line
    assert "(e.g. gempa-guncang-cianjur.md)" in line


def test_a_tag_or_story_spelt_several_ways_has_one_name_in_every_build(site):
    """Names that differ in case, spaces or symbols share a page (one
    address). The page and every item show the spelling most items use,
    whatever order a process reads the files in (a set's order changes with
    the hash seed); spellings beyond case and spaces get one notice."""
    content, output = site
    for name, story, tags in (
        ("a.md", "banjir  demak 2024", "Banjir!, C#"),
        ("b.md", "Banjir Demak 2024", "banjir, C++"),
        ("c.md", "Banjir-Demak 2024", "BANJIR"),
        ("d.md", "Banjir Demak 2024", "banjir"),
    ):
        text = _item(Title=f"Ejaan {name}", Story=story).replace(
            "Summary:", f"Tags: {tags}\nSummary:"
        )
        (content / "items" / name).write_text(text, encoding="utf-8")
    shown = set()
    for seed in ("1", "2", "3", "4"):
        out = output.parent / f"output-{seed}"
        result = run_build(
            "--content", str(content), "--output", str(out),
            env={"PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        said = result.stdout + result.stderr
        page = html.fromstring(
            (out / "cerita/banjir-demak-2024/index.html").read_bytes()
        )
        tags = html.fromstring((out / "tag/index.html").read_bytes())
        item = html.fromstring((out / "2024/08/a/index.html").read_bytes())
        shown.add(
            (
                page.findtext(".//h1"),
                tuple(tags.xpath("//main//a[contains(@href, '/tag/')]/text()")),
                tuple(
                    item.xpath(
                        "//a[contains(@href, '/tag/') and @href != '/tag/']/text()"
                    )
                ),
                tuple(item.xpath("//a[contains(@href, '/cerita/b')]/text()")),
            )
        )
        notes = [line for line in said.splitlines() if "one page" in line]
        assert len(notes) == 3, said
    assert len(shown) == 1, shown
    h1, index, item_tags, item_story = shown.pop()
    assert h1.endswith("Banjir Demak 2024")
    assert "banjir" in index and "Banjir!" not in index and "BANJIR" not in index
    # C# and C++: one item each, of one date: the first file's spelling.
    assert item_tags == ("banjir", "C#")
    assert set(item_story) == {"Banjir Demak 2024"}
    assert any(
        '"Banjir-Demak 2024"' in n and 'shown as "Banjir Demak 2024"' in n
        for n in notes
    ), notes


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("Tags", "banjir, 🔥, !!!", '"🔥" gives the tag no address'),
        ("Story", "???", '"???" gives the story no address'),
        ("Author", "...", '"..." is not a name'),
    ],
)
def test_a_tag_story_or_author_of_symbols_only_is_named(site, field, value, expected):
    """Pelican said "Unable to generate valid slug for Tag" with no file,
    hid the next ones ("Other invalid slugs") and failed on a page written
    twice."""
    text = _item().replace("Summary:", f"{field}: {value}\nSummary:")
    stderr = _fails(site, {"simbol.md": text})
    line = _line(stderr, "simbol.md")
    assert f"items/simbol.md:6: {field}: {expected}" in line
    if field == "Tags":
        assert '"!!!" gives the tag no address' in line
    assert "valid slug" not in stderr and "Failed to overwrite" not in stderr


def test_two_items_of_one_report_get_a_notice(site):
    """Two editors digest the same report: the same Source_URL, as shared
    links differ (scheme, www, final slash, utm_ parameters, fragment), is
    a notice on the later item. A translation shares its original's report;
    another page of a report (?page=2) is another report."""
    content, _ = site
    url = "https://www.reuters.com/world/asia/banjir-demak/"
    items = {}
    for name, fields in (
        ("a.md", {"Source_URL": url}),
        (
            "b.md",
            {
                "Date": "2024-08-04 12:00",
                "Source_URL": url.replace("https://www.", "http://").rstrip("/")
                + "?utm_source=whatsapp&utm_medium=share#atas",
            },
        ),
        ("c.md", {"Source_URL": url + "?page=2"}),
        (
            "a-en.md",
            {"Source_URL": url, "Lang": "en", "Translation": "true", "Slug": "a"},
        ),
    ):
        items[name] = _item(Title=f"Laporan {name}", **fields)
    said = _builds_saying(site, items, "the same report")
    assert len(said) == 1, said
    assert "items/b.md:7: Source_URL: the same report as" in said[0]
    assert (
        said[0]
        .split("the same report as ")[1]
        .startswith(str(content / "items" / "a.md"))
    ), said[0]


def test_a_correction_without_modified_is_a_notice(site):
    """A corrected item that does not say when it was corrected shows no
    update time to readers, feeds or search engines."""
    items = {
        "a.md": _item(Title="Ralat a", Correction="Nama kota diperbaiki."),
        "b.md": _item(
            Title="Ralat b", Correction="Angka diperbaiki.", Modified="2024-08-05 08:00"
        ),
    }
    said = _builds_saying(site, items, "Correction:")
    assert len(said) == 1, said
    assert "items/a.md:7: Correction: a corrected item says when" in said[0]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "Category",
            "Internasional, Politik",
            '"Internasional, Politik": an item has one category; choose one of'
            " Internasional or Politik",
        ),
        ("Region", " ; ", '";" names no region; it is required'),
        (
            "Slug",
            "Banjir Demak/2024 Besar",
            '"Banjir Demak/2024 Besar" is not a slug; use lowercase letters,'
            ' digits and hyphens, e.g. "banjir-demak-2024-besar"',
        ),
    ],
)
def test_a_value_of_the_wrong_shape_says_what_is_meant(site, field, value, expected):
    """Two categories, a list of separators only, a slug with spaces: each
    on its line, with the value meant (a list of nothing was accepted)."""
    text = _item()
    if f"{field}:" in text:
        text = re.sub(rf"(?m)^{field}: .*$", f"{field}: {value}", text)
    else:
        text = text.replace("Summary:", f"{field}: {value}\nSummary:")
    line = _line(_fails(site, {"bentuk.md": text}), "bentuk.md")
    assert f"{field}: {expected}" in line, line


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("TIMEZONE", "WIB", "did you mean Asia/Jakarta?"),
        ("TIMEZONE", "Asia/Makasar", "did you mean Asia/Makassar?"),
        ("DEFAULT_LANG", "indonesia", "did you mean id?"),
        ("SITEURL", "kilas.example.id", "did you mean https://kilas.example.id?"),
        (
            "SITEURL",
            "https://user.github.io/kilas demo",
            "did you mean https://user.github.io/kilas-demo?",
        ),
        ("SITEURL", 'https://user.github.io/"kilas"', "without a final slash"),
        ("DEFAULT_PAGINATION", "10", "a whole number of at least 1"),
        (
            "KILAS_CATEGORIES",
            ["Nasional", "nasional", "Bencana"],
            "did you mean ['Nasional', 'Bencana']?",
        ),
    ],
)
def test_a_core_setting_kilas_cannot_use_is_named(
    tmp_path, caplog, setting, value, expected
):
    """Pelican's own settings as an editor may write them: each named with
    what is allowed, not "No time zone found with key WIB" or a type error
    from deep inside a template."""
    from kilas.build import BuildFailed, build

    with pytest.raises(BuildFailed):
        build(
            settings_file=PROJECT / "pelicanconf.py",
            output=tmp_path / "output",
            extra={setting: value, "SEARCH_INDEX": False},
        )
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        f"kilas_contract: {setting} = {value!r} is not allowed" in m and expected in m
        for m in said
    ), said
    assert not (tmp_path / "output").exists()


def test_a_settings_file_python_refuses_names_its_line(project):
    """A typo in pelicanconf.py (an editor adds a category) is one line
    naming the file and line, not a traceback."""
    settings = project / "pelicanconf.py"
    settings.write_text(
        settings.read_text(encoding="utf-8") + '\nKILAS_CATEGORIES.append("Opini)\n',
        encoding="utf-8",
    )
    lines = settings.read_text(encoding="utf-8").count("\n")
    result = run_build("--output", str(project / "output"), cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert (
        f"kilas: pelicanconf.py:{lines}: unterminated string literal" in result.stderr
    )


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "![Banjir]({static}/images/fot.jpg)",
            "links to {static}/images/fot.jpg, which is no file in content/;"
            " did you mean {static}/images/foto.jpg?",
        ),
        (
            "[lain]({filename}/items/lian.md)",
            "links to {filename}/items/lian.md, which is no file in content/;"
            " did you mean {filename}/items/lain.md?",
        ),
        ("![Banjir](../images/foto.jpg)", "write {static}/images/foto.jpg"),
        ("![Banjir](/images/foto.jpg)", "write {static}/images/foto.jpg"),
        ("![Banjir](images/foto.jpg)", "write {static}/images/foto.jpg"),
        ("[lain](lain.md)", "write {filename}/items/lain.md"),
        ("[lain](hilang.md)", "links a Markdown file that is not in content/"),
        (
            "![Banjir](images/fotto.jpg)",
            'the image "images/fotto.jpg" is no file of content/ (an image of'
            " content/ is linked as {static}/images/...); did you mean"
            " {static}/images/foto.jpg?",
        ),
        (
            "![Banjir]({statik}/images/foto.jpg)",
            "{statik} is not a link Pelican knows. Allowed: {static} (images,"
            " documents)",
        ),
        (
            "![Banjir]({filename}/images/foto.jpg)",
            "images and documents take {static}; write {static}/images/foto.jpg",
        ),
    ],
)
def test_a_body_link_to_a_file_that_breaks_is_named(site, link, expected):
    """A link to a missing file stopped the build with the file's path alone
    ({static}) or was published with Pelican's "Unable to find" and no
    address ({filename}); a path as a Markdown preview reads it was
    published as a broken image or link."""
    content, _ = site
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (8, 8), "navy").save(content / "images" / "foto.jpg")
    (content / "items" / "lain.md").write_text(_item(Title="Lain"), encoding="utf-8")
    text = _item(Title="Bertaut") + f"\nKalimat.\n\n{link}\n"
    line = _line(_fails(site, {"bertaut.md": text}), "bertaut.md")
    assert "items/bertaut.md:12: Body: " in line, line
    assert expected in line, line


def test_an_image_no_browser_can_draw_is_named(site):
    """A text's image cut short by a copy, or a text saved as
    ``.png``, was published as a broken image without a word (a photo in
    ``Image:`` was refused so). Each is named on its line; a whole picture,
    a JPEG named ``.png`` (browsers draw it) and an SVG pass."""
    content, _ = site
    images = content / "images"
    images.mkdir(exist_ok=True)
    Image.new("RGB", (64, 64), "navy").save(images / "utuh.jpg")
    whole = (images / "utuh.jpg").read_bytes()
    (images / "potong.jpg").write_bytes(whole[: len(whole) // 2])
    (images / "catatan.png").write_text("bukan gambar\n", encoding="utf-8")
    (images / "jpeg.png").write_bytes(whole)
    (images / "peta.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        encoding="utf-8",
    )
    text = _item(Title="Bergambar")
    text += (
        "\n![Utuh]({static}/images/utuh.jpg)\n\n![Potong]({static}/images/potong.jpg)"
        "\n\n![Catatan]({static}/images/catatan.png)\n\n"
        "![JPEG]({static}/images/jpeg.png) ![Peta]({static}/images/peta.svg)\n"
    )
    stderr = _fails(site, {"bergambar.md": text})
    lines = [line for line in stderr.splitlines() if "bergambar.md" in line]
    said = "\n".join(lines)
    assert (
        'bergambar.md:12: Body: the image "{static}/images/potong.jpg" cannot be'
        " shown whole (" in said
    ), said
    assert (
        'bergambar.md:14: Body: the image "{static}/images/catatan.png" holds no'
        " picture a browser can show (cannot identify image file 'catatan.png')" in said
    ), said
    assert "utuh.jpg" not in said and "jpeg.png" not in said and "peta.svg" not in said
    assert len(lines) == 2, said


def test_body_links_that_work_are_kept(site):
    content, output = site
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (8, 8), "navy").save(content / "images" / "foto.jpg")
    (content / "items" / "lain.md").write_text(_item(Title="Lain"), encoding="utf-8")
    text = _item(Title="Bertaut") + (
        "\n![Banjir]({static}/images/foto.jpg) [lain]({filename}lain.md)"
        " [linimasa](/linimasa/) [atas](#atas) [web](https://contoh.id/a.md)"
        " [tag]({tag}banjir)\n"
    )
    (content / "items" / "bertaut.md").write_text(text, encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = html.fromstring((output / "2024/08/bertaut/index.html").read_bytes())
    assert page.xpath("//img[@alt='Banjir']/@src") == ["/images/foto.jpg"]
    assert (output / "images" / "foto.jpg").is_file()
    assert "/2024/08/lain/" in page.xpath("//a[text()='lain']/@href")


def test_two_translations_into_one_language_say_keep_one(site):
    """Changing the Title or the Slug (the advice for two items at one
    address) would cut a translation from its original."""
    original = _item(Title="Asli")
    english = _item(Title="English", Lang="en", Translation="true", Slug="asli")
    stderr = _fails(
        site, {"asli.md": original, "asli-en.md": english, "asli-en2.md": english}
    )
    line = _line(stderr, ": Slug: ")
    assert "are both the en translation of one item" in line, line
    assert "keep one of them" in line and "change the Title" not in line, line
    # A translation without its Lang is in the original's language.
    stderr = _fails(site, {"asli-en2.md": english.replace("Lang: en\n", "")})
    line = _line(stderr, ": Lang: ")
    assert "asli-en2.md: Lang: this translation and its original" in line, line
    assert "share the language (id)" in line, line


def test_a_translation_is_filed_with_its_original(site):
    """A translation under another category linked to a category page no
    item has (a 404); other places, another source or another story set it
    apart from its original in every list. Written in its own language, the
    same places agree."""
    original = _item(Title="Asli", Region="KP; Rusia", Story="Banjir Korut")
    english = {
        "Title": "English",
        "Lang": "en",
        "Translation": "true",
        "Slug": "asli",
        "Region": "North Korea, RU",
        "Story": "banjir  KORUT",
    }
    differs = {  # field: (value, as named, the original's)
        "Category": ("Politik", "Politik", '"Internasional"'),
        "Region": ("Japan", "Jepang", '"Korea Utara; Rusia"'),
        "Source": ("Reuters", "Reuters", '"SinarHarapan.id"'),
        "Story": ("Banjir Lain", "Banjir Lain", '"Banjir Korut"'),
    }
    files = {"asli.md": original}
    languages = ("en", "ms", "jv", "nl")
    for n, (field, (value, _, _)) in enumerate(differs.items()):
        files[f"asli-{n}.md"] = _item(**{**english, "Lang": languages[n], field: value})
    stderr = _fails(site, files)
    for n, (field, (_, named, wanted)) in enumerate(differs.items()):
        line = _line(stderr, f"asli-{n}.md:")
        assert f': {field}: is "{named}", but its original ' in line, line
        assert f"asli.md has {wanted}: a translation is the same news" in line, line
    # The line of the field is named.
    assert re.search(r"asli-0\.md:3: Category: ", stderr), stderr
    # A story the original has not.
    for n in range(len(differs)):
        (site[0] / "items" / f"asli-{n}.md").unlink()
    stderr = _fails(
        site,
        {
            "asli.md": _item(Title="Asli", Region="KP; Rusia"),
            "asli-en.md": _item(**english),
        },
    )
    line = _line(stderr, "asli-en.md:")
    assert "its original" in line and "has none" in line, line
    assert "leave 'Story:' out" in line, line


def test_a_hidden_item_links_to_no_page_that_is_not_there(site):
    """A hidden item (built, not listed) alone in its category linked its
    kicker and its facts to a category page no listed item makes (a 404)."""
    tree = _built_page(
        site,
        "tersembunyi",
        _item(Title="Tersembunyi", Category="Olahraga", Status="hidden"),
    )
    output = site[1]
    assert not (output / "kategori" / "olahraga").exists()
    links = tree.xpath("//a/@href")
    assert not [link for link in links if "olahraga" in link], links
    assert tree.xpath("string(//p[@class='kicker'])").strip() == "Olahraga"
    # Its category still links when a listed item makes the page.
    tree = _built_page(site, "terlihat", _item(Title="Terlihat", Category="Olahraga"))
    assert "/kategori/olahraga/" in tree.xpath("//p[@class='kicker']/a/@href")


@pytest.mark.parametrize(
    "summary",
    ["#BanjirDemak kembali menggenangi jalan", "# Banjir", "- Banjir", "1945. Merdeka"],
)
def test_a_summary_is_one_paragraph_and_a_hashtag_is_text(site, summary):
    """A summary beginning with a hashtag, `- ` or a number and a dot was a
    heading (a second h1 on the page and in every list) or a list;
    Python-Markdown made a hashtag at the start of a body line a heading
    too, cutting its paragraph, and a list right after a line of text part
    of that line's paragraph."""
    text = _item(Title="Tagar", Summary=summary) + (
        "\nWarga menulis di media sosial\n#PrayForDemak sejak pagi.\n\n"
        "## Latar\n\nPoin pentingnya:\n- harga naik\n- stok aman\n\n"
        "Pada tahun\n2024. Itu tahun pemilu.\n"
    )
    tree = _built_page(site, "tagar", text)
    assert tree.xpath("count(//h1)") == 1
    paragraphs = tree.xpath("//div[@class='summary']/*")
    assert [p.tag for p in paragraphs] == ["p"], summary
    shown = paragraphs[0].text_content()
    assert re.findall(r"[\w#.]+", shown) == re.findall(r"[\w#.]+", summary), shown
    body = tree.xpath("//p[contains(., '#PrayForDemak')]")
    assert body and "Warga menulis" in body[0].text_content()
    assert tree.xpath("//h2[.='Latar']")
    # A list may follow a line of text, as on GitHub (Python-Markdown made
    # it part of the paragraph); a year and a dot in running text is text.
    items = tree.xpath("//p[contains(., 'pentingnya')]/following-sibling::ul[1]/li")
    assert [" ".join(li.text_content().split()) for li in items] == [
        "harga naik",
        "stok aman",
    ]
    assert tree.xpath("//p[contains(., 'Pada tahun') and contains(., '2024.')]")


def test_an_item_in_a_right_to_left_language_is_written_right_to_left(site):
    """An item with `Lang: ar` was laid out left to right: its headline,
    summary and text start at the left edge, its final stop on the wrong
    side. The interface around it stays in the site's language."""
    content, output = site
    (content / "items" / "banjir-ar.md").write_text(
        _item(
            Title="فيضانات تغمر كوريا الشمالية",
            Lang="ar",
            Summary="غمرت الفيضانات المنازل.",
        )
        + "\nقالت الوكالة إن الفيضانات دمرت المنازل.\n",
        encoding="utf-8",
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    tree = html.fromstring((output / "ar/2024/08/banjir-ar/index.html").read_bytes())
    for where in ("//h1", "//div[@class='summary']", "//div[@class='article-body']"):
        assert tree.xpath(f"{where}/@dir") == ["rtl"], where
    assert not tree.xpath("//div[@class='dateline']/@dir")
    home = html.fromstring((output / "index.html").read_bytes())
    entry = home.xpath("//article[@lang='ar']")[0]
    assert entry.xpath(".//*[@class='digest-title']/@dir") == ["rtl"]
    assert not home.xpath("//article[not(@lang)]//*[@dir='rtl']")


def test_every_image_without_a_description_is_named_on_its_line(site):
    """Pelican warned "Empty alt attribute" without a line, named a few and
    then only "Other images have empty alt attributes"; an <img> without
    alt passed."""
    content, _ = site
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (8, 8), "navy").save(content / "images" / "foto.jpg")
    files = {
        f"gambar-{n}.md": _item(Title=f"Gambar {n}")
        + "\nKalimat.\n\n"
        + (
            '<img src="{static}/images/foto.jpg">'
            if n == 0
            else "![ ]({static}/images/foto.jpg)"
        )
        + "\n"
        for n in range(7)
    }
    stderr = _fails(site, files)
    for name in files:
        line = _line(stderr, name)
        assert (
            f"items/{name}:12: Body: the image {{static}}/images/foto.jpg says" in line
        )
    assert "Empty alt attribute" not in stderr and "Other images" not in stderr


@pytest.mark.parametrize("indent", ["  ", "\t", " "])
def test_a_value_continued_by_any_indent_is_read_whole(site, indent):
    """Markdown's meta data wants four spaces; an editor's two, one or a tab
    cut the summary there and published the rest as the item's text."""
    text = _item(Summary="Banjir merendam ratusan rumah").replace(
        "rumah\n", f"rumah\n{indent}di Demak, Jawa Tengah.\n"
    )
    page = _built_page(site, "lanjut", text)
    summary = page.xpath("string(//div[@class='summary'])")
    assert "ratusan rumah di Demak, Jawa Tengah." in " ".join(summary.split())
    assert "Demak" not in page.xpath("string(//div[@class='article-body'])")


def test_a_header_ended_without_a_blank_line_is_named(site):
    text = _item(Summary="Banjir merendam ratusan rumah").replace(
        "rumah\n", "rumah\ndi Demak, Jawa Tengah.\n"
    )
    line = _line(_fails(site, {"putus.md": text}), "putus.md")
    assert (
        'items/putus.md:7: "di Demak, Jawa Tengah." ends the header without a'
        " blank line: indent it if it continues Summary" in line
    ), line


def test_invisible_characters_pasted_into_names_are_ignored(site):
    """A zero-width space or a direction mark pasted with a name (a web
    page, a chat) made "unknown source "SinarHarapan.id"" with the culprit
    invisible in the message."""
    text = _item(
        Title="Tempelan",
        Category="\ufeffInternasional",
        Region="KP\u200e",
        Source="SinarHarapan.id\u200b",
        Date="2024-08-04\u2060 10:30",
    )
    page = etree.tostring(_built_page(site, "tempel", text), encoding="unicode")
    for mark in "\u200b\u200e\u2060\ufeff":
        assert mark not in page
    assert ">Internasional<" in page


def test_a_page_template_the_theme_lacks_is_named(site):
    """Pelican stopped with "unable to load halaman-khusus[.html] from [the
    theme's folder]" and no page named."""
    content, _ = site
    page = content / "pages" / "khusus.md"
    page.parent.mkdir(exist_ok=True)
    page.write_text("Title: Khusus\nTemplate: pagee\n\nIsi.\n", encoding="utf-8")
    result = run_build("--content", str(content), "--output", str(content.parent / "o"))
    assert result.returncode == 1
    line = _line(result.stderr, "khusus.md")
    assert 'pages/khusus.md:2: Template: the theme has no template "pagee.html"' in line
    assert line.endswith('Did you mean "page"?'), line
    assert "unable to load" not in result.stderr


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ("banjir, Demak; Jawa Tengah", ["banjir", "Demak", "Jawa Tengah"]),
        ("a, b; c", ["a", "b", "c"]),
    ],
)
def test_tags_take_either_separator(site, tags, shown):
    """With a ";" in the line, "banjir, Demak" was one tag that Pelican split
    again: the build stopped on "critical: ('tags', 'banjir')"."""
    text = _item(Title="Pemisah").replace("Summary:", f"Tags: {tags}\nSummary:")
    page = _built_page(site, "pemisah", text)
    found = page.xpath("//a[contains(@href, '/tag/') and @href != '/tag/']/text()")
    assert found == shown


@pytest.mark.parametrize("field", ["Tags", "Story", "Slug"])
def test_a_name_too_long_for_an_address_is_named(site, field):
    """A folder name holds 255 bytes: the build stopped with "File name too
    long" and no item named."""
    value = "banjir-" * 40 if field == "Slug" else "banjir " * 40
    text = _item(Title="Panjang").replace("Summary:", f"{field}: {value}\nSummary:")
    line = _line(_fails(site, {"panjang.md": text}), "panjang.md")
    assert (
        f"items/panjang.md:6: {field}: " in line
        and "is too long for an address" in line
    )


def test_an_image_in_a_summary_is_named(site):
    """A summary is shown in every list: an image there filled the home
    page (h1's pass found it)."""
    content, _ = site
    (content / "images").mkdir(exist_ok=True)
    Image.new("RGB", (8, 8), "navy").save(content / "images" / "foto.jpg")
    text = _item(Summary="Banjir ![Air]({static}/images/foto.jpg) merendam rumah.")
    line = _line(_fails(site, {"ringkas-gambar.md": text}), "ringkas-gambar.md")
    assert "items/ringkas-gambar.md:6: Summary: holds an image" in line, line


def test_two_items_of_one_day_under_one_headline_get_a_notice(site):
    items = {
        "a.md": _item(Title="Banjir Rendam Demak"),
        "b.md": _item(Title="BANJIR rendam “Demak”", Date="2024-08-04 15:00"),
        "c.md": _item(Title="Banjir Rendam Demak", Date="2024-08-05 09:00"),
        "a-en.md": _item(
            Title="Banjir Rendam Demak", Lang="en", Translation="true", Slug="a"
        ),
    }
    said = _builds_saying(site, items, "the same headline")
    assert len(said) == 1, said
    assert "items/b.md:1: Title: the same headline as" in said[0], said[0]


def test_a_pasted_photo_address_is_published_as_a_valid_address(site):
    """An https photo with spaces or < in its address went into og:image
    (and JSON-LD) as typed: no valid address."""
    text = _item(
        Title="Foto Jauh",
        Image="https://contoh.id/foto banjir <b>.jpg",
        Image_Alt="Air",
        Image_Credit="AP",
    )
    page = _built_page(site, "foto-jauh", text)
    assert page.xpath("//meta[@property='og:image']/@content") == [
        "https://contoh.id/foto%20banjir%20%3Cb%3E.jpg"
    ]


def test_a_page_translated_builds_with_both_languages_linked(site):
    """A page's translation (the about page in English) stopped the build:
    the sitemaps took the pages' generator's translations for dated items."""
    content, output = site
    pages = content / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "tentang.md").write_text(
        "Title: Tentang\nSlug: tentang\n\nRingkasan berita.\n", encoding="utf-8"
    )
    (pages / "about.md").write_text(
        "Title: About\nSlug: tentang\nLang: en\nTranslation: true\n\nA digest.\n",
        encoding="utf-8",
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = html.fromstring((output / "tentang/index.html").read_bytes())
    assert page.xpath("//link[@hreflang='en']/@href") == ["/en/tentang/"]
    assert (output / "en/tentang/index.html").is_file()
    assert "/en/tentang/" in (output / "sitemap.xml").read_text(encoding="utf-8")


def test_a_name_written_with_a_separate_accent_is_the_same_name(site):
    """A Mac writes é as e and a combining accent: the same tag or story
    looked like two spellings (a notice naming two identical names), and
    the page kept whichever came first."""
    items = {
        "a.md": _item(Title="Aksen a", Story="Krisis Cafe\u0301 2024").replace(
            "Summary:", "Tags: Cafe\u0301\nSummary:"
        ),
        "b.md": _item(Title="Aksen b", Story="Krisis Café 2024").replace(
            "Summary:", "Tags: Café\nSummary:"
        ),
    }
    assert _builds_saying(site, items, "one page") == []
    _, output = site
    page = (output / "2024/08/a/index.html").read_text(encoding="utf-8")
    assert "Cafe\u0301" not in page and "Café" in page


def test_an_item_citing_its_own_source_is_listed_once(site):
    """``Cites`` naming the item's own ``Source`` (here by an alias) listed
    the item twice on the source's page, as digested and as citing it: the
    build names the line and leaves the source out of ``Cites``."""
    items = {
        "sendiri.md": _item(
            Title="Mengutip diri",
            Source="SinarHarapan.id",
            Cites="Sinar Harapan; Reuters",
        )
    }
    said = _builds_saying(site, items, "Cites:")
    assert len(said) == 1, said
    assert (
        'items/sendiri.md:7: Cites: "SinarHarapan.id" is the item\'s Source' in said[0]
    )
    output = site[1]
    page = html.parse(str(output / "sumber" / "sinarharapanid" / "index.html"))
    citing = page.xpath("//section[@class='source-citing']//a[contains(., 'Mengutip')]")
    digested = page.xpath("//main//a[contains(., 'Mengutip')]")
    assert (len(digested), len(citing)) == (1, 0)
    reuters = html.parse(str(output / "sumber" / "reuters" / "index.html"))
    assert reuters.xpath(
        "//section[@class='source-citing']//a[contains(., 'Mengutip')]"
    )


def test_a_refused_original_is_the_one_problem_of_its_translation(site):
    """An original refused for its own field left its translation alone,
    and Pelican added a warning of its own (`All items ("1") "with slug
    ..." are translations:` and a path): a second message, about a file
    that has no fault, in another shape."""
    stderr = _fails(
        site,
        {
            "asli-rusak.md": _item(
                Title="Asli", Region="Korea Utaraa", Slug="asli-rusak"
            ),
            "asli-rusak-en.md": _item(
                Title="Original", Lang="en", Translation="true", Slug="asli-rusak"
            ),
        },
    )
    assert "items/asli-rusak.md:4: Region: unknown region" in stderr
    assert "are translations" not in stderr
    assert "asli-rusak-en.md" not in stderr
    assert "1 problem(s) in 1 file(s)" in stderr


def test_an_address_no_browser_can_follow_is_named_and_the_build_goes_on(site):
    """`Source_URL: https://[::1/x` (an unclosed bracket: Python refuses it)
    stopped the build with Pelican's "Could not process" and a
    `'NoneType' object has no attribute` line, and no other file's problem
    was said. The same address as a link in the text or the summary was
    dropped from the page without a word (nh3 cannot read it, nor a port
    above 65535). Each is an error on its line; an item's header problem
    and its text's problems are said in one run."""
    items = {
        "sumber-rusak.md": _item(Title="Satu", Source_URL="https://[::1/x"),
        "port-rusak.md": _item(Title="Dua", Source_URL="https://contoh.id:99999/x"),
        "foto-rusak.md": _item(
            Title="Tiga", Image="https://[::1/x.jpg", Image_Alt="x", Image_Credit="y"
        ),
        "ringkasan-rusak.md": _item(Title="Empat", Summary="Lihat [ini](https://[x/)."),
        "teks-rusak.md": _item(Title="Lima", Region="Korea Utaraa")
        + "Baca [laporan](http://contoh.id:99999/) dan <a href='https://[x/'>ini</a>.\n",
    }
    stderr = _fails(site, items)
    assert "Traceback" not in stderr and "NoneType" not in stderr
    assert "Could not process" not in stderr
    said = {
        "sumber-rusak.md:7: Source_URL:": '"https://[::1/x" is not a web address',
        "port-rusak.md:7: Source_URL:": '"https://contoh.id:99999/x" is not a web',
        "foto-rusak.md:7: Image:": '"https://[::1/x.jpg" is no address',
        "ringkasan-rusak.md:6: Summary:": 'the link "https://[x/" is no address',
        "teks-rusak.md:4: Region:": 'unknown region "Korea Utaraa"',
    }
    for where, what in said.items():
        assert what in _line(stderr, where), stderr
    text = [line for line in stderr.splitlines() if "teks-rusak.md:9: Body:" in line]
    assert len(text) == 2, stderr
    assert 'href="http://contoh.id:99999/" of <a>, which is no address' in text[0]
    assert "write the link again" in text[1]
    assert "7 problem(s) in 5 file(s)" in stderr


def test_a_footnotes_way_back_speaks_the_items_language(site):
    """Python-Markdown titles the link back from a footnote "Jump back to
    footnote 1 in the text", in English on an Indonesian page; an English
    translation's footnote keeps English words."""
    content, output = site
    body = "\nTeks[^1] dan sumber lain[^b].\n\n[^1]: Catatan.\n[^b]: Dua.\n"
    (content / "items" / "catatan.md").write_text(
        _item(Title="Catatan", Slug="catatan").replace("\nIsi.\n", body), "utf-8"
    )
    english = _item(Title="Notes", Lang="EN", Translation="true", Slug="catatan")
    (content / "items" / "notes.md").write_text(
        english.replace("\nIsi.\n", body), "utf-8"
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr

    def backs(path: str) -> list[str]:
        page = html.fromstring((output / path / "index.html").read_bytes())
        return page.xpath("//a[@class='footnote-backref']/@title")

    assert backs("2024/08/catatan") == [
        "Kembali ke catatan kaki 1 di teks",
        "Kembali ke catatan kaki 2 di teks",
    ]
    assert backs("en/2024/08/catatan") == [
        "Back to footnote 1 in the text",
        "Back to footnote 2 in the text",
    ]
    assert not [p for p in output.rglob("*.html") if b"Jump back" in p.read_bytes()]


def test_a_link_from_the_sites_root_leads_to_a_page_of_the_site(site):
    """`[x](/halaman-hilang/)` passed every build and broke only when
    publishing; `[x](/2024/08/baik/)` works on a site at the root of its
    domain but leads out of one under a path (GitHub Pages' project
    sites), where the check of the published site was the first to say
    so. Each is named on its line with the link to write."""
    content, output = site
    (content / "items" / "akar.md").write_text(
        _item(Title="Akar", Summary="Lihat [butir](/2024/08/baik/).")
        + "Baca [butir](/2024/08/baik/), [wilayah](/wilayah/korea-utara/),\n"
        "[beranda](/) dan [hilang](/2024/08/baikk/).\n\n"
        "Peta situs: [peta](/sitemap.xml), [robot](/robots.txt).\n",
        encoding="utf-8",
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 1
    said = [line for line in result.stderr.splitlines() if "akar.md" in line]
    assert len(said) == 1, result.stderr
    assert said[0].endswith(
        "items/akar.md:10: Body: links to /2024/08/baikk/, which is no page of the"
        " site; did you mean {filename}/items/baik.md?"
    )
    assert "output/ was left as it was" in result.stderr

    text = (content / "items" / "akar.md").read_text(encoding="utf-8")
    (content / "items" / "akar.md").write_text(
        text.replace(" dan [hilang](/2024/08/baikk/)", ""), encoding="utf-8"
    )
    assert run_build("--content", str(content), "--output", str(output)).returncode == 0
    project = run_build(
        "--content", str(content), "--output", str(output),
        "--siteurl", "https://user.github.io/kilas",
    )  # fmt: skip
    assert project.returncode == 1
    said = [line.split("items/akar.md:")[1] for line in project.stderr.splitlines()
            if "items/akar.md:" in line]  # fmt: skip
    out = "from the root of the domain, but the site is at /kilas/: the link leads out of it; write"
    assert sorted(said) == sorted(
        [
            f"6: Summary: links to /2024/08/baik/ {out} {{filename}}/items/baik.md",
            f"9: Body: links to /2024/08/baik/ {out} {{filename}}/items/baik.md",
            f"9: Body: links to /wilayah/korea-utara/ {out} ../../../wilayah/korea-utara/",
            f"10: Body: links to / {out} ../../../",
            f"12: Body: links to /sitemap.xml {out} ../../../sitemap.xml",
            f"12: Body: links to /robots.txt {out} ../../../robots.txt",
        ]
    ), project.stderr


def test_a_pinned_translation_is_a_notice(site):
    """`Pin: yes` on a translation was taken without a word, yet a
    translation is in no edition: the editor's pin did nothing."""
    items = {
        "asli-pin.md": _item(Title="Asli", Slug="asli-pin"),
        "asli-pin-en.md": _item(
            Title="Original", Lang="en", Translation="true", Slug="asli-pin", Pin="ya"
        ),
    }
    said = _builds_saying(site, items, "Pin:")
    assert len(said) == 1, said
    assert "items/asli-pin-en.md:10: Pin: a translation is in no edition" in said[0]
    assert "pin its original instead" in said[0]


def test_a_link_out_of_content_is_said_once_and_notices_say_so(site):
    """`![x]({static}/../luar.jpg)` (a file beside content/) brought Pelican's
    `warning: Unable to generate valid slug for Category ".."` besides the
    contract's own line, and counted as a warning of its own; a notice
    (which never fails a build) printed as an error does, with nothing to
    tell them apart."""
    content, output = site
    (content.parent / "luar.jpg").write_bytes(b"\xff\xd8\xff")
    text = _item(Title="Keluar", Source="Reuters", Cites="Reuters")
    (content / "items" / "keluar.md").write_text(
        text + "![Luar]({static}/../luar.jpg)\n", "utf-8"
    )
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 1
    assert "Unable to generate valid slug" not in result.stderr
    assert "an item links to this file, which lies outside the content folder" in (
        result.stderr
    )
    assert "build failed (1 error, 1 critical)" in result.stderr
    cites = _line(result.stderr, "keluar.md:7: Cites:")
    assert cites.startswith("notice: "), cites
    assert _line(result.stderr, "luar.jpg:").startswith(str(content.parent))


def test_links_written_as_code_are_text_not_links(site):
    """`<a href="/x/">` in a code span, or an `<img src=...>` in a code block,
    is text about HTML: it was taken for a link and refused (a page that is
    not there, an image no file of content/)."""
    content, output = site
    body = (
        'Tulis `<a href="/halaman-hilang/">` di HTML.\n\n'
        '```\n<img src="../../images/tidak-ada.jpg" alt="x">\n```\n'
    )
    (content / "items" / "kode.md").write_text(_item(Title="Kode") + body, "utf-8")
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stderr
    page = (output / "2024/08/kode/index.html").read_text(encoding="utf-8")
    assert "&lt;a href=" in page and "&lt;img src=" in page
