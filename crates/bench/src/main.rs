//! Benchmark runner: `metarr-bench <suite>` prints one JSON line per figure.
//!
//! Figures are `{"suite","name","backend","value","unit"}` objects so that scripts can compare
//! runs. Run it through `bench/run`, which builds in release mode.

mod artwork;
mod enrich;
mod publish;
mod queue;
mod scan;
mod tv;
mod webhook;

use anyhow::{Context, bail};

/// One measured figure.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Figure {
    suite: &'static str,
    name: &'static str,
    backend: &'static str,
    value: f64,
    unit: &'static str,
    /// Library size, for the scan suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u64>,
    /// Whether stream details were read, for the scan suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    streams: Option<bool>,
}

impl Figure {
    pub(crate) fn new(
        suite: &'static str,
        name: &'static str,
        backend: &'static str,
        value: f64,
        unit: &'static str,
    ) -> Figure {
        let value = (value * 1000.0).round() / 1000.0;
        Figure { suite, name, backend, value, unit, n: None, streams: None }
    }

    /// Adds the scan suite's library size and stream-details switch.
    pub(crate) fn with_library(mut self, n: u64, streams: bool) -> Figure {
        self.n = Some(n);
        self.streams = Some(streams);
        self
    }

    /// Prints the figure as one line of JSON on stdout (the benchmark's output format).
    #[allow(clippy::print_stdout)]
    pub(crate) fn print(&self) {
        println!("{}", serde_json::to_string(self).expect("figures always serialise"));
    }
}

/// The PostgreSQL server the benchmarks use.
pub(crate) fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(suite) = args.first() else {
        bail!(
            "usage: bench/run <suite> [sqlite|postgres]  (suites: queue, scan, webhook, enrich, artwork, publish, tv)"
        )
    };
    let backends: Vec<String> = match args.get(1) {
        Some(backend) => vec![backend.clone()],
        None => vec!["sqlite".into(), "postgres".into()],
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    match suite.as_str() {
        "queue" => runtime.block_on(queue::run(&backends)),
        "scan" => runtime.block_on(scan::run(&backends)),
        "scan-child" => runtime.block_on(scan::child(&args[1..])),
        "webhook" => runtime.block_on(webhook::run(&backends)),
        "enrich" => runtime.block_on(enrich::run(&backends)),
        "artwork" => runtime.block_on(artwork::run(&backends)),
        "publish" => runtime.block_on(publish::run(&backends)),
        "tv" => runtime.block_on(tv::run(&backends)),
        "tv-child" => runtime.block_on(tv::child(&args[1..])),
        other => bail!("unknown suite {other:?} (suites: queue, scan, webhook, enrich, artwork, publish, tv)"),
    }
}
