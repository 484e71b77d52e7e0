//! The artwork slots a media item can fill (poster, fanart, …) and how many images each keeps.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of artwork, named as Kodi names its art types.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Slot {
    /// Portrait cover, 2:3.
    Poster,
    /// Backdrop behind menus, 16:9, preferably without text.
    Fanart,
    /// A 16:9 thumbnail with the title on it.
    Landscape,
    /// The title as a transparent logo.
    Clearlogo,
    /// A transparent cut-out of characters with the title.
    Clearart,
    /// A round disc image.
    Discart,
    /// A wide strip with the title.
    Banner,
    /// A poster without any text.
    Keyart,
    /// A transparent cut-out of one character (TV series).
    Characterart,
    /// An episode's still, 16:9 (`<episode>-thumb.jpg`).
    Thumb,
}

impl Slot {
    /// Every slot, in the order they are listed to users.
    pub const ALL: [Slot; 10] = [
        Slot::Poster,
        Slot::Fanart,
        Slot::Landscape,
        Slot::Clearlogo,
        Slot::Clearart,
        Slot::Discart,
        Slot::Banner,
        Slot::Keyart,
        Slot::Characterart,
        Slot::Thumb,
    ];

    /// A movie's slots.
    pub const MOVIE: [Slot; 8] = [
        Slot::Poster,
        Slot::Fanart,
        Slot::Landscape,
        Slot::Clearlogo,
        Slot::Clearart,
        Slot::Discart,
        Slot::Banner,
        Slot::Keyart,
    ];

    /// A TV series' own slots (Kodi's TV show art types).
    pub const SERIES: [Slot; 7] = [
        Slot::Poster,
        Slot::Fanart,
        Slot::Landscape,
        Slot::Clearlogo,
        Slot::Clearart,
        Slot::Banner,
        Slot::Characterart,
    ];

    /// A season's slots (`season01-poster.jpg`, …).
    pub const SEASON: [Slot; 4] = [Slot::Poster, Slot::Fanart, Slot::Landscape, Slot::Banner];

    /// An episode's slot.
    pub const EPISODE: [Slot; 1] = [Slot::Thumb];

    /// The slot's lower-case name, as stored and as Kodi spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Poster => "poster",
            Slot::Fanart => "fanart",
            Slot::Landscape => "landscape",
            Slot::Clearlogo => "clearlogo",
            Slot::Clearart => "clearart",
            Slot::Discart => "discart",
            Slot::Banner => "banner",
            Slot::Keyart => "keyart",
            Slot::Characterart => "characterart",
            Slot::Thumb => "thumb",
        }
    }

    /// The slot with exactly this lower-case name.
    pub fn parse(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|slot| slot.as_str() == name)
    }

    /// The size (width, height) that scores best: the common full size for the slot at the
    /// providers, which also gives the ideal aspect ratio.
    pub fn ideal(self) -> (u32, u32) {
        match self {
            Slot::Poster | Slot::Keyart => (2000, 3000),
            Slot::Fanart | Slot::Landscape | Slot::Thumb => (1920, 1080),
            Slot::Clearlogo => (800, 310),
            Slot::Clearart => (1000, 562),
            Slot::Discart => (1000, 1000),
            Slot::Banner => (1000, 185),
            // Fanart.tv's only size for it.
            Slot::Characterart => (512, 512),
        }
    }

    /// How many images the slot keeps when neither the settings nor the library say.
    pub fn default_limit(self) -> u32 {
        match self {
            // Kodi rotates extra fanart as fanart1, fanart2, …; every other slot shows one.
            Slot::Fanart => 3,
            _ => 1,
        }
    }

    /// Whether an image with the title on it is preferred; fanart, keyart, character art and
    /// episode stills are meant to be textless.
    pub fn wants_text(self) -> bool {
        !matches!(self, Slot::Fanart | Slot::Keyart | Slot::Characterart | Slot::Thumb)
    }

    /// The file extension Kodi expects for the slot: the transparent slots are PNG.
    pub fn file_ext(self) -> &'static str {
        match self {
            Slot::Clearlogo | Slot::Clearart | Slot::Discart | Slot::Characterart => "png",
            _ => "jpg",
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an artwork slot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown artwork slot {name:?}: expected one of {}", valid_names())]
pub struct UnknownSlot {
    /// The name as given.
    pub name: String,
}

fn valid_names() -> String {
    Slot::ALL.map(Slot::as_str).join(", ")
}

impl FromStr for Slot {
    type Err = UnknownSlot;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Slot::parse(name).ok_or_else(|| UnknownSlot { name: name.to_owned() })
    }
}

/// The most images one slot may keep; more would only fill disks with rotations nobody sees.
pub const MAX_LIMIT: u32 = 20;

/// A slot limit above [`MAX_LIMIT`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {slot} limit is {limit}, above the maximum of {MAX_LIMIT} per slot")]
pub struct LimitError {
    /// The slot whose limit is too high.
    pub slot: Slot,
    /// The limit asked for.
    pub limit: u32,
}

/// Limits per slot: global defaults overridden per library. 0 disables a slot. Max 20 per slot.
///
/// Serialized as a JSON object of the slots that are set, e.g. `{"poster":1,"fanart":3}`; a slot
/// that is missing falls back to [`Slot::default_limit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(transparent)]
pub struct SlotLimits(BTreeMap<Slot, u32>);

impl SlotLimits {
    /// No slot set: every slot has its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The slot's limit: the one set here, or the slot's default.
    pub fn get(&self, slot: Slot) -> u32 {
        self.0.get(&slot).copied().unwrap_or_else(|| slot.default_limit())
    }

    /// Sets the slot's limit, replacing any set before.
    pub fn set(&mut self, slot: Slot, limit: u32) {
        self.0.insert(slot, limit);
    }

    /// Removes the slot's limit, so it falls back to its default (or to the layer below).
    pub fn unset(&mut self, slot: Slot) {
        self.0.remove(&slot);
    }

    /// The limit set here for the slot, if any (`None` means the slot falls back).
    pub fn explicit(&self, slot: Slot) -> Option<u32> {
        self.0.get(&slot).copied()
    }

    /// These limits with `other`'s laid over them: a slot set in `other` takes its value,
    /// others keep the one here. Used as `global.with_overrides(&library)`.
    pub fn with_overrides(&self, other: &SlotLimits) -> SlotLimits {
        let mut merged = self.0.clone();
        merged.extend(other.0.iter().map(|(slot, limit)| (*slot, *limit)));
        SlotLimits(merged)
    }

    /// Checks that every limit set is at most [`MAX_LIMIT`], naming the first one that is not.
    pub fn validate(&self) -> Result<(), LimitError> {
        match self.0.iter().find(|(_, limit)| **limit > MAX_LIMIT) {
            Some((slot, limit)) => Err(LimitError { slot: *slot, limit: *limit }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_exact_lower_case_parses() {
        for slot in Slot::ALL {
            assert_eq!(Slot::parse(slot.as_str()), Some(slot));
            assert_eq!(slot.to_string().parse::<Slot>(), Ok(slot));
            assert_eq!(serde_json::to_string(&slot).unwrap(), format!("\"{slot}\""));
        }
        assert_eq!(Slot::parse("Poster"), None);
        assert_eq!(Slot::parse(" poster"), None);
        assert_eq!(Slot::parse("thumbs"), None);
        let error = "Poster".parse::<Slot>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown artwork slot \"Poster\": expected one of poster, fanart, landscape, clearlogo, \
             clearart, discart, banner, keyart, characterart, thumb"
        );
    }

    #[test]
    fn slot_facts() {
        assert_eq!(Slot::Poster.ideal(), (2000, 3000));
        assert_eq!(Slot::Keyart.ideal(), (2000, 3000));
        assert_eq!(Slot::Fanart.ideal(), (1920, 1080));
        assert_eq!(Slot::Landscape.ideal(), (1920, 1080));
        assert_eq!(Slot::Clearlogo.ideal(), (800, 310));
        assert_eq!(Slot::Clearart.ideal(), (1000, 562));
        assert_eq!(Slot::Discart.ideal(), (1000, 1000));
        assert_eq!(Slot::Banner.ideal(), (1000, 185));
        let limits: Vec<u32> = Slot::ALL.map(Slot::default_limit).to_vec();
        assert_eq!(limits, [1, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
        let textless: Vec<Slot> = Slot::ALL.into_iter().filter(|slot| !slot.wants_text()).collect();
        assert_eq!(textless, [Slot::Fanart, Slot::Keyart, Slot::Characterart, Slot::Thumb]);
        let png: Vec<Slot> = Slot::ALL.into_iter().filter(|slot| slot.file_ext() == "png").collect();
        assert_eq!(png, [Slot::Clearlogo, Slot::Clearart, Slot::Discart, Slot::Characterart]);
        // Every owner's slots are among all of them, once each.
        for list in [&Slot::MOVIE[..], &Slot::SERIES[..], &Slot::SEASON[..], &Slot::EPISODE[..]] {
            let unique: std::collections::BTreeSet<Slot> = list.iter().copied().collect();
            assert_eq!(unique.len(), list.len());
            assert!(list.iter().all(|slot| Slot::ALL.contains(slot)));
        }
        assert_eq!(Slot::Poster.file_ext(), "jpg");
    }

    #[test]
    fn limits_fall_back_override_and_validate() {
        let mut global = SlotLimits::new();
        assert_eq!(global.get(Slot::Fanart), 3);
        assert_eq!(global.get(Slot::Poster), 1);
        global.set(Slot::Fanart, 5);
        global.set(Slot::Banner, 0);

        let mut library = SlotLimits::new();
        library.set(Slot::Fanart, 1);
        library.set(Slot::Discart, 2);
        let merged = global.with_overrides(&library);
        assert_eq!(merged.get(Slot::Fanart), 1);
        assert_eq!(merged.get(Slot::Banner), 0);
        assert_eq!(merged.get(Slot::Discart), 2);
        assert_eq!(merged.get(Slot::Poster), 1);
        assert_eq!(merged.explicit(Slot::Poster), None);

        assert_eq!(merged.validate(), Ok(()));
        library.set(Slot::Poster, 20);
        assert_eq!(library.validate(), Ok(()));
        library.set(Slot::Keyart, 21);
        let error = library.validate().unwrap_err();
        assert_eq!(error, LimitError { slot: Slot::Keyart, limit: 21 });
        assert_eq!(error.to_string(), "the keyart limit is 21, above the maximum of 20 per slot");
        library.unset(Slot::Keyart);
        assert_eq!(library.get(Slot::Keyart), 1);
    }

    #[test]
    fn limits_are_a_json_object_of_the_slots_set() {
        let mut limits = SlotLimits::new();
        limits.set(Slot::Fanart, 3);
        limits.set(Slot::Poster, 1);
        assert_eq!(serde_json::to_string(&limits).unwrap(), r#"{"poster":1,"fanart":3}"#);
        let parsed: SlotLimits = serde_json::from_str(r#"{"clearlogo":0}"#).unwrap();
        assert_eq!(parsed.get(Slot::Clearlogo), 0);
        assert_eq!(parsed.get(Slot::Fanart), 3);
        assert_eq!(serde_json::from_str::<SlotLimits>("{}").unwrap(), SlotLimits::new());
        assert!(serde_json::from_str::<SlotLimits>(r#"{"thumbs":1}"#).is_err());
    }
}
