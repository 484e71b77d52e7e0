//! Shared test data and helpers.

use metarr_notify::{EventKind, MovieInfo, Notification};

/// A notification with every optional field set, in plain ASCII so wire formats stay readable.
pub(crate) fn movie_notification() -> Notification {
    Notification {
        event: EventKind::MovieImported,
        title: "Imported: Heat (1995)".to_owned(),
        message: "Heat was imported from Radarr.".to_owned(),
        movie: Some(MovieInfo {
            title: "Heat".to_owned(),
            year: Some(1995),
            overview: Some("A group of high-end professional thieves start to feel the heat.".to_owned()),
            poster_url: Some("https://image.tmdb.org/t/p/w500/heat.jpg".to_owned()),
        }),
        url: Some("http://127.0.0.1:3000/movies/42".to_owned()),
    }
}

/// A notification with nothing optional.
pub(crate) fn bare_notification() -> Notification {
    Notification {
        event: EventKind::Test,
        title: "Test".to_owned(),
        message: "This is a test message from Metarr.".to_owned(),
        movie: None,
        url: None,
    }
}

/// A loopback port nothing listens on: bound by us, then released.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Parses a form-urlencoded body into ordered pairs.
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).expect("form body is UTF-8");
    let url = reqwest::Url::parse(&format!("http://form.invalid/?{body}")).expect("form body parses");
    url.query_pairs().map(|(key, value)| (key.into_owned(), value.into_owned())).collect()
}
