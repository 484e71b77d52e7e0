//! Integration tests of metarr-probe: recorded ffprobe outputs, real generated media probed
//! by both readers, and the failure modes (corrupt files, missing prober, timeouts).

mod agreement;
mod failures;
mod fixtures;
mod matroska;
mod media;
mod mp4;
