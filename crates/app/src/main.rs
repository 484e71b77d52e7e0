//! The `metarr` binary: parses the command line and runs the chosen command.

use anyhow::Context;
use clap::Parser;
use metarr::api_key::{self, KeySource};
use metarr::cli::{Cli, Command};
use metarr::config::Settings;
use metarr::startup::{self, Application, Role};
use metarr::telemetry;
use secrecy::ExposeSecret;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The configuration comes first: it says in which format to log. Nothing logs while it loads,
    // and a refused configuration is printed below like any other error.
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            let message = format!("invalid configuration: {err}");
            let _ = writeln!(std::io::stderr(), "metarr: {}", telemetry::scrub(&message));
            return ExitCode::FAILURE;
        }
    };
    telemetry::register_secrets(settings.secrets());
    let ansi = settings.log_format == telemetry::LogFormat::Text && std::io::stderr().is_terminal();
    if let Err(err) = telemetry::init(std::io::stderr, settings.log_format, ansi) {
        // Without logs the process would run blind; refuse to start instead.
        let _ = writeln!(std::io::stderr(), "metarr: cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "metarr: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "opening the database …: …".
            // A library's error may embed a secret (a URL's password); the log never shows one.
            let message = format!("{err:#}");
            let _ = writeln!(std::io::stderr(), "metarr: {}", telemetry::scrub(&message));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => run_application(settings, Role::Serve).await,
        Command::Worker => run_application(settings, Role::Worker).await,
        Command::Migrate => startup::migrate(&settings).await,
        Command::Scan { paths, json } => metarr::scan_cli::run(settings, &paths, json).await,
        Command::ApiKey { regenerate } => print_api_key(&settings, regenerate),
        Command::Backup { path, with_cache } => {
            let database = metarr_db::Database::connect(settings.database_url.expose())
                .await
                .context("opening the database to back it up")?;
            let config = cli.config.clone().or_else(|| Some("metarr.toml".into()));
            let target = path.unwrap_or_else(|| metarr::backup::backup_dir(&settings));
            let written = metarr::backup::create(&settings, &database, config.as_deref(), &target, with_cache)
                .await
                .context("backing up")?;
            writeln!(std::io::stdout(), "{}", written.display()).context("writing to stdout")?;
            Ok(())
        }
        Command::Restore { path } => {
            let manifest = metarr::backup::restore(&settings, &path).await.context("restoring")?;
            writeln!(
                std::io::stdout(),
                "restored the {} backup of {} (Metarr {}) into {}",
                manifest.backend,
                manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
                manifest.version,
                settings.data_dir.display()
            )
            .context("writing to stdout")?;
            Ok(())
        }
    }
}

async fn run_application(settings: Settings, role: Role) -> anyhow::Result<()> {
    let application = Application::build_as(settings, role).await?;
    application.shutdown_on_signals();
    application.run_until_stopped().await
}

/// Prints the key on stdout, the one place it may appear: the user asked for it.
fn print_api_key(settings: &Settings, regenerate: bool) -> anyhow::Result<()> {
    let key = if regenerate {
        anyhow::ensure!(
            settings.api_key.is_none(),
            "the API key is set by the configuration (METARR_API_KEY or api_key in metarr.toml); change it there"
        );
        let (key, path) = api_key::regenerate(&settings.data_dir)?;
        tracing::info!(path = %path.display(), "generated a new API key; clients using the old one must be updated");
        key
    } else {
        let (key, source) = api_key::load_or_create(settings.api_key.as_ref(), &settings.data_dir)?;
        if let KeySource::Created(path) = source {
            tracing::info!(path = %path.display(), "generated an API key");
        }
        key
    };
    writeln!(std::io::stdout(), "{}", key.expose_secret()).context("writing to stdout")?;
    Ok(())
}
