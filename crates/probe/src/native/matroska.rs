//! The Matroska/WebM reader: EBML header, segment info, tracks and tags, and the first blocks.

use crate::error::ProbeError;
use crate::model::StreamDetails;
use crate::native::Source;

/// Reads a Matroska or WebM file's stream details.
pub(crate) fn read(source: &mut Source) -> Result<StreamDetails, ProbeError> {
    Err(ProbeError::Unsupported { path: source.path().to_owned(), reason: "Matroska (reader not written yet)".into() })
}
