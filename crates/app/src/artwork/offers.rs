//! What each provider offers for a movie's or a TV series' slots: TMDB's posters, backdrops,
//! logos and episode stills and Fanart.tv's art types, turned into [`Offer`]s before anything
//! is downloaded.
//!
//! The mapping follows what Kodi and Jellyfin show in each slot: a textless poster is also
//! key art; a backdrop with text on it is also a landscape thumb. Fanart.tv gives no sizes,
//! so its art types' documented sizes stand in until the image is downloaded and measured.

use metarr_artwork::{ArtLanguage, Slot, Source};
use metarr_providers::tmdb::Images;
use metarr_providers::{FanartArtType, FanartMovie, FanartSeason, FanartTv, FanartTvArtType, TmdbClient};

/// One image a provider offers for a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub slot: Slot,
    pub source: Source,
    /// The full-size image.
    pub url: String,
    /// A small version where the provider has one (for the picker's thumbnails).
    pub preview_url: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub language: ArtLanguage,
    pub vote_average: Option<f64>,
    pub votes: Option<u64>,
    pub likes: Option<u64>,
}

/// How a language is kept in the database: the ISO 639-1 code, `xx` for textless (TMDB's code
/// for "no language"), NULL when nobody knows.
pub fn language_column(language: &ArtLanguage) -> Option<String> {
    match language {
        ArtLanguage::Tagged(code) => Some(code.clone()),
        ArtLanguage::Textless => Some("xx".to_owned()),
        ArtLanguage::Unknown => None,
    }
}

/// The inverse of [`language_column`].
pub fn language_of_column(column: Option<&str>) -> ArtLanguage {
    match column {
        None => ArtLanguage::Unknown,
        Some("xx") => ArtLanguage::Textless,
        Some(code) => ArtLanguage::Tagged(code.to_owned()),
    }
}

fn art_language(language: &metarr_providers::ArtLanguage) -> ArtLanguage {
    match language.code() {
        Some(code) => ArtLanguage::Tagged(code.to_owned()),
        None => ArtLanguage::Textless,
    }
}

/// TMDB's images of a movie (from the details call's `images` append).
pub fn from_tmdb(images: &Images, tmdb: &TmdbClient) -> Vec<Offer> {
    let mut offers = Vec::new();
    let mut push = |slot: Slot, image: &metarr_providers::tmdb::Image| {
        if image.file_path.trim().is_empty() {
            return;
        }
        offers.push(Offer {
            slot,
            source: Source::Tmdb,
            url: tmdb.image_url("original", &image.file_path),
            preview_url: Some(tmdb.image_url("w342", &image.file_path)),
            width: (image.width > 0).then_some(image.width),
            height: (image.height > 0).then_some(image.height),
            language: art_language(&image.language),
            vote_average: Some(image.vote_average),
            votes: Some(u64::from(image.vote_count)),
            likes: None,
        });
    };
    for image in &images.posters {
        push(Slot::Poster, image);
        if image.language.code().is_none() {
            push(Slot::Keyart, image);
        }
    }
    for image in &images.backdrops {
        push(Slot::Fanart, image);
        if image.language.code().is_some() {
            push(Slot::Landscape, image);
        }
    }
    for image in &images.logos {
        push(Slot::Clearlogo, image);
    }
    offers
}

/// The slot and documented size of a Fanart.tv art type.
fn fanart_slot(kind: FanartArtType) -> (Slot, (u32, u32)) {
    match kind {
        FanartArtType::HdMovieLogo => (Slot::Clearlogo, (800, 310)),
        FanartArtType::MovieLogo => (Slot::Clearlogo, (400, 155)),
        FanartArtType::HdMovieClearArt => (Slot::Clearart, (1000, 562)),
        FanartArtType::MovieArt => (Slot::Clearart, (500, 281)),
        FanartArtType::MovieDisc => (Slot::Discart, (1000, 1000)),
        FanartArtType::MoviePoster => (Slot::Poster, (1000, 1426)),
        FanartArtType::MovieBackground => (Slot::Fanart, (1920, 1080)),
        FanartArtType::MovieBanner => (Slot::Banner, (1000, 185)),
        FanartArtType::MovieThumb => (Slot::Landscape, (1000, 562)),
    }
}

/// Fanart.tv's small version of an image: the same path under `/preview/`.
fn fanart_preview(url: &str) -> Option<String> {
    url.contains("/fanart/").then(|| url.replacen("/fanart/", "/preview/", 1))
}

/// Fanart.tv's art for a movie.
pub fn from_fanart(movie: &FanartMovie) -> Vec<Offer> {
    let mut offers = Vec::new();
    for kind in FanartArtType::ALL {
        let (slot, (width, height)) = fanart_slot(kind);
        for image in movie.images(kind) {
            if image.url.trim().is_empty() {
                continue;
            }
            let language = art_language(&image.lang);
            let offer = Offer {
                slot,
                source: Source::Fanart,
                url: image.url.clone(),
                preview_url: fanart_preview(&image.url),
                width: Some(width),
                height: Some(height),
                language: language.clone(),
                vote_average: None,
                votes: None,
                likes: Some(u64::from(image.likes)),
            };
            if slot == Slot::Poster && language == ArtLanguage::Textless {
                offers.push(Offer { slot: Slot::Keyart, ..offer.clone() });
            }
            offers.push(offer);
        }
    }
    offers
}

/// TMDB's still of an episode, its thumb. TMDB lists no size for stills; they are 16:9.
pub fn tmdb_still(path: &str, tmdb: &TmdbClient) -> Option<Offer> {
    (!path.trim().is_empty()).then(|| Offer {
        slot: Slot::Thumb,
        source: Source::Tmdb,
        url: tmdb.image_url("original", path),
        preview_url: Some(tmdb.image_url("w300", path)),
        width: None,
        height: None,
        language: ArtLanguage::Textless,
        vote_average: None,
        votes: None,
        likes: None,
    })
}

/// The slot and documented size of a Fanart.tv TV art type, and whether it belongs to a season.
fn fanart_tv_slot(kind: FanartTvArtType) -> (Slot, (u32, u32), bool) {
    match kind {
        FanartTvArtType::HdTvLogo => (Slot::Clearlogo, (800, 310), false),
        FanartTvArtType::ClearLogo => (Slot::Clearlogo, (400, 155), false),
        FanartTvArtType::HdClearArt => (Slot::Clearart, (1000, 562), false),
        FanartTvArtType::ClearArt => (Slot::Clearart, (500, 281), false),
        FanartTvArtType::TvPoster => (Slot::Poster, (1000, 1426), false),
        // Backgrounds carry a season (mostly "all"), but Kodi shows them as the series' fanart.
        FanartTvArtType::ShowBackground => (Slot::Fanart, (1920, 1080), false),
        FanartTvArtType::TvThumb => (Slot::Landscape, (1000, 562), false),
        FanartTvArtType::TvBanner => (Slot::Banner, (1000, 185), false),
        FanartTvArtType::CharacterArt => (Slot::Characterart, (512, 512), false),
        FanartTvArtType::SeasonPoster => (Slot::Poster, (1000, 1426), true),
        FanartTvArtType::SeasonThumb => (Slot::Landscape, (1000, 562), true),
        FanartTvArtType::SeasonBanner => (Slot::Banner, (1000, 185), true),
    }
}

/// Fanart.tv's art for a series: `None` for the series' own, `Some(n)` for season n's. Season
/// art marked "all" belongs to no single season and is left out.
pub fn from_fanart_tv(tv: &FanartTv) -> Vec<(Option<u32>, Offer)> {
    let mut offers = Vec::new();
    for kind in FanartTvArtType::ALL {
        let (slot, (width, height), per_season) = fanart_tv_slot(kind);
        for image in tv.images(kind) {
            if image.url.trim().is_empty() {
                continue;
            }
            let season = match (per_season, &image.season) {
                (false, _) => None,
                (true, Some(FanartSeason::Number(number))) => Some(*number),
                (true, _) => continue,
            };
            let offer = Offer {
                slot,
                source: Source::Fanart,
                url: image.url.clone(),
                preview_url: fanart_preview(&image.url),
                width: Some(width),
                height: Some(height),
                language: art_language(&image.lang),
                vote_average: None,
                votes: None,
                likes: Some(u64::from(image.likes)),
            };
            offers.push((season, offer));
        }
    }
    offers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_round_trip_through_the_column() {
        for language in [ArtLanguage::Tagged("fr".to_owned()), ArtLanguage::Textless, ArtLanguage::Unknown] {
            assert_eq!(language_of_column(language_column(&language).as_deref()), language);
        }
    }

    #[test]
    fn fanart_previews_live_under_preview() {
        assert_eq!(
            fanart_preview("https://assets.fanart.tv/fanart/movies/603/movieposter/the-matrix-5.jpg").as_deref(),
            Some("https://assets.fanart.tv/preview/movies/603/movieposter/the-matrix-5.jpg")
        );
        assert_eq!(fanart_preview("http://127.0.0.1:9/img/a.jpg"), None);
    }

    #[test]
    fn fanart_tv_art_goes_to_the_series_or_its_season() {
        let body = serde_json::json!({
            "name": "Breaking Bad", "thetvdb_id": "81189",
            "hdtvlogo": [{"id": "1", "url": "https://assets.fanart.tv/fanart/tv/81189/hdtvlogo/bb-1.png", "lang": "en", "likes": "4"}],
            "characterart": [{"id": "2", "url": "https://assets.fanart.tv/fanart/tv/81189/characterart/bb-2.png", "lang": "", "likes": "1"}],
            "showbackground": [{"id": "3", "url": "https://assets.fanart.tv/fanart/tv/81189/showbackground/bb-3.jpg", "lang": "", "likes": "2", "season": "all"}],
            "seasonposter": [
                {"id": "4", "url": "https://assets.fanart.tv/fanart/tv/81189/seasonposter/bb-4.jpg", "lang": "en", "likes": "0", "season": "2"},
                {"id": "5", "url": "https://assets.fanart.tv/fanart/tv/81189/seasonposter/bb-5.jpg", "lang": "en", "likes": "0", "season": "all"},
                {"id": "6", "url": "", "lang": "en", "likes": "0", "season": "1"}
            ],
            "seasonthumb": [{"id": "7", "url": "https://assets.fanart.tv/fanart/tv/81189/seasonthumb/bb-7.jpg", "lang": "en", "likes": "0", "season": "0"}]
        });
        let tv: FanartTv = serde_json::from_value(body).expect("a Fanart.tv TV answer");
        let offers = from_fanart_tv(&tv);
        let placed: Vec<(Option<u32>, Slot, &str)> = offers
            .iter()
            .map(|(season, offer)| (*season, offer.slot, offer.url.rsplit('/').next().unwrap_or("")))
            .collect();
        assert_eq!(
            placed,
            [
                (None, Slot::Clearlogo, "bb-1.png"),
                (None, Slot::Fanart, "bb-3.jpg"),
                (None, Slot::Characterart, "bb-2.png"),
                (Some(2), Slot::Poster, "bb-4.jpg"),
                (Some(0), Slot::Landscape, "bb-7.jpg"),
            ]
        );
        assert_eq!(offers[0].1.likes, Some(4));
        assert_eq!(offers[0].1.language, ArtLanguage::Tagged("en".to_owned()));
        assert_eq!(offers[2].1.language, ArtLanguage::Textless);
    }
}
