//! The ISO-BMFF reader (MP4, M4V, MOV): the `moov` box and the first video sample.

use crate::error::ProbeError;
use crate::model::StreamDetails;
use crate::native::Source;

/// Reads an MP4, M4V or MOV file's stream details.
pub(crate) fn read(source: &mut Source) -> Result<StreamDetails, ProbeError> {
    Err(ProbeError::Unsupported { path: source.path().to_owned(), reason: "MP4 (reader not written yet)".into() })
}
