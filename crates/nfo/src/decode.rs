//! Turns the bytes of an NFO into text: byte-order marks, the encoding declared in the XML
//! prolog, and a guess for the undeclared "ANSI" files Windows tools write.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::warning::WarningKind;

/// The decoded text and what decoding it involved.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The text, without any byte-order mark.
    pub(crate) text: String,
    /// Bytes stripped from the front (a BOM), added back to offsets when the text is UTF-8 so
    /// that warning offsets are file offsets.
    pub(crate) bias: usize,
    /// Warnings about the decoding; they concern the whole file, so they have no position.
    pub(crate) warnings: Vec<WarningKind>,
}

/// Decodes `bytes`, never failing: undecodable bytes become U+FFFD with a warning.
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    let mut warnings = Vec::new();
    let (encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) => (encoding, bom_len),
        None => (sniff_without_bom(bytes, &mut warnings), 0),
    };
    let body = bytes.get(bom_len..).unwrap_or_default();

    let (encoding, assumed_1252) = if encoding == UTF_8 && std::str::from_utf8(body).is_err() {
        if looks_like_utf8(body) { (UTF_8, false) } else { (WINDOWS_1252, true) }
    } else {
        (encoding, false)
    };

    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if assumed_1252 {
        warnings.push(WarningKind::AssumedWindows1252);
    } else if had_errors {
        warnings.push(WarningKind::InvalidBytes { encoding: encoding.name().to_owned() });
    }
    let mut text = text.into_owned();
    let mut bias = if encoding == UTF_8 { bom_len } else { 0 };
    // Some editors write the BOM twice; a leading U+FEFF is never content.
    while let Some(rest) = text.strip_prefix('\u{feff}') {
        bias += if encoding == UTF_8 { '\u{feff}'.len_utf8() } else { 0 };
        text = rest.to_owned();
    }
    Decoded { text, bias, warnings }
}

/// Picks the encoding of a file without a byte-order mark: UTF-16 recognised by its zero bytes
/// around `<`, else the prolog's declared encoding, else UTF-8.
fn sniff_without_bom(bytes: &[u8], warnings: &mut Vec<WarningKind>) -> &'static Encoding {
    match bytes {
        [b'<', 0, _, 0, ..] => return UTF_16LE,
        [0, b'<', 0, _, ..] => return UTF_16BE,
        _ => {}
    }
    let Some(label) = declared_encoding(bytes) else {
        return UTF_8;
    };
    match Encoding::for_label(label.as_bytes()) {
        // A declaration we could read is ASCII-compatible, so a declared UTF-16 is a lie;
        // `output_encoding` maps it (and other non-ASCII-compatible labels) to UTF-8.
        Some(encoding) => encoding.output_encoding(),
        None => {
            warnings.push(WarningKind::UnknownEncoding { label });
            UTF_8
        }
    }
}

/// The `encoding="…"` of an `<?xml …?>` prolog at the start of `bytes` (after whitespace).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace())?;
    let head = bytes.get(start..)?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    // A prolog is short; do not scan a huge file for a missing `?>`.
    let head = head.get(..head.len().min(512))?;
    let end = head.windows(2).position(|pair| pair == b"?>")?;
    let prolog = head.get(..end)?;
    let key = prolog.windows(8).position(|window| window.eq_ignore_ascii_case(b"encoding"))?;
    let rest = prolog.get(key + 8..)?;
    let rest = trim_ascii_start(rest).strip_prefix(b"=")?;
    let rest = trim_ascii_start(rest);
    let (&quote, rest) = rest.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value_end = rest.iter().position(|byte| *byte == quote)?;
    let value = rest.get(..value_end)?;
    Some(String::from_utf8_lossy(value).trim().to_owned())
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Whether invalid UTF-8 still holds valid multi-byte sequences, i.e. is UTF-8 with a few bad
/// bytes rather than a legacy 8-bit encoding. Reading it as windows-1252 would garble every
/// good character, so it is decoded as UTF-8 with replacements instead.
fn looks_like_utf8(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declared_latin1() {
        let decoded = decode(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><movie>Am\xe9lie</movie>");
        assert!(decoded.text.contains("Amélie"), "{}", decoded.text);
        assert!(decoded.warnings.is_empty());
    }

    #[test]
    fn strips_utf8_bom_and_counts_it_in_offsets() {
        let decoded = decode(b"\xef\xbb\xbf<movie/>");
        assert_eq!(decoded.text, "<movie/>");
        assert_eq!(decoded.bias, 3);
    }

    #[test]
    fn reads_utf16_with_and_without_bom() {
        let utf16: Vec<u8> = "<movie>Ω</movie>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let with_bom: Vec<u8> = [0xff, 0xfe].into_iter().chain(utf16.iter().copied()).collect();
        assert_eq!(decode(&with_bom).text, "<movie>Ω</movie>");
        assert_eq!(decode(&utf16).text, "<movie>Ω</movie>");
        let big: Vec<u8> = "<movie>Ω</movie>".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&big).text, "<movie>Ω</movie>");
    }

    #[test]
    fn undeclared_latin1_falls_back_to_windows_1252() {
        let decoded = decode(b"<movie>Caf\xe9 \x80</movie>");
        assert_eq!(decoded.text, "<movie>Café €</movie>");
        assert_eq!(decoded.warnings, vec![WarningKind::AssumedWindows1252]);
    }

    #[test]
    fn mostly_utf8_keeps_utf8_with_replacement() {
        let decoded =
            decode("<movie>Café \u{0}".as_bytes().iter().copied().chain([0xff]).collect::<Vec<_>>().as_slice());
        assert!(decoded.text.starts_with("<movie>Café"));
        assert!(decoded.text.ends_with('\u{fffd}'));
        assert_eq!(decoded.warnings, vec![WarningKind::InvalidBytes { encoding: "UTF-8".into() }]);
    }

    #[test]
    fn unknown_declared_encoding_warns_and_reads_utf8() {
        let decoded = decode(b"<?xml version='1.0' encoding='klingon'?><movie/>");
        assert_eq!(decoded.warnings, vec![WarningKind::UnknownEncoding { label: "klingon".into() }]);
        assert!(decoded.text.ends_with("<movie/>"));
    }

    #[test]
    fn declared_utf16_without_zero_bytes_is_read_as_utf8() {
        let decoded = decode(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><movie>x</movie>");
        assert!(decoded.text.ends_with("<movie>x</movie>"));
        assert!(decoded.warnings.is_empty());
    }
}
