//! Text shaping shared by the senders: length limits and HTML escaping.

/// Cuts `text` to at most `max_chars` characters, ending in an ellipsis when it was cut.
///
/// Discord and Pushover count characters (code points), not bytes, and refuse the whole
/// message when a field is too long, so truncating is better than failing.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    // Do not leave a dangling space before the ellipsis.
    let trimmed_len = cut.trim_end().len();
    cut.truncate(trimmed_len);
    cut.push('…');
    cut
}

/// Escapes text for use in HTML element content and in quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Whether `url` is an absolute http(s) URL, the only kind worth handing to a service as a
/// link or image: anything else makes Discord refuse the whole embed.
pub(crate) fn is_http_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.has_host())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_short_text_and_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4).chars().count(), 4);
        assert_eq!(truncate("ab  cd", 4), "ab…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn escape_html_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn only_http_urls_count() {
        assert!(is_http_url("https://image.tmdb.org/t/p/w500/x.jpg"));
        assert!(is_http_url("http://127.0.0.1:3000/movies/1"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("/relative/path"));
        assert!(!is_http_url("ftp://example.com/x"));
    }
}
