"""The contract's header splitter (kilas_contract.contract.split_header):
``Key: value`` lines, continuation lines, where the body starts."""

from __future__ import annotations

from kilas_contract.contract import HeaderLine, split_header


def test_header_then_blank_line_then_body():
    text = "Title: Banjir\nDate: 2024-08-04 10:30\n\nBadan teks.\nBaris dua."
    header, body, end = split_header(text)
    assert header == [
        HeaderLine("Title", "Banjir", 1),
        HeaderLine("Date", "2024-08-04 10:30", 2),
    ]
    assert body == "Badan teks.\nBaris dua."
    assert end == 3  # the blank line belongs to the header


def test_indented_lines_continue_the_value_on_its_first_line():
    text = (
        "Summary: Putin menawarkan\n    bantuan   \n        kemanusiaan.\nTags: a\n\nX"
    )
    header, body, _ = split_header(text)
    assert header == [
        HeaderLine("Summary", "Putin menawarkan bantuan kemanusiaan.", 1),
        HeaderLine("Tags", "a", 4),
    ]
    assert body == "X"


def test_values_are_trimmed_and_keys_may_be_indented_up_to_three_spaces():
    header, _, _ = split_header("   Region:   Korea Utara ; Rusia  \n\n")
    assert header == [HeaderLine("Region", "Korea Utara ; Rusia", 1)]


def test_a_line_that_is_not_a_field_ends_the_header_and_starts_the_body():
    text = "Title: A\nIni bukan field\nTags: b"
    header, body, end = split_header(text)
    assert header == [HeaderLine("Title", "A", 1)]
    assert body == "Ini bukan field\nTags: b"
    assert end == 1


def test_an_indented_first_line_is_body_not_a_continuation():
    header, body, end = split_header("    kode\nTitle: A")
    assert (header, body, end) == ([], "    kode\nTitle: A", 0)


def test_a_blank_indented_line_ends_the_header():
    header, body, end = split_header("Title: A\n    \nTeks")
    assert header == [HeaderLine("Title", "A", 1)]
    assert (body, end) == ("Teks", 2)


def test_a_file_of_header_only_has_an_empty_body():
    header, body, end = split_header("Title: A\nDate: 2024-08-04")
    assert [line.key for line in header] == ["Title", "Date"]
    assert (body, end) == ("", 2)


def test_empty_text():
    assert split_header("") == ([], "", 1)
