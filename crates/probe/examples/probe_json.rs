//! Prints one file's stream details as JSON from both readers, for eyeballing differences.
//!
//! Usage: `cargo run -p metarr-probe --example probe_json -- FILE`

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let timeout = Duration::from_secs(30);
    let mut out = std::io::stdout().lock();
    for file in std::env::args_os().skip(1).map(PathBuf::from) {
        let native = metarr_probe::probe_native(&file, timeout).map(|probe| probe.details);
        let ffprobe = metarr_probe::probe_with_ffprobe("ffprobe".as_ref(), &file, timeout);
        writeln!(out, "== {}", file.display())?;
        for (reader, result) in [("native", native), ("ffprobe", ffprobe)] {
            match result {
                Ok(details) => writeln!(out, "{reader}: {}", serde_json::to_string_pretty(&details)?)?,
                Err(err) => writeln!(out, "{reader}: error: {err}")?,
            }
        }
    }
    Ok(())
}
