//! The command line: `metarr serve | worker | migrate | scan | api-key`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Metarr keeps film metadata and artwork safe between Radarr/Sonarr and Kodi, Jellyfin or Plex.
///
/// Configuration comes from built-in defaults, then an optional metarr.toml, then METARR_*
/// environment variables (for example METARR_BIND, METARR_DATA_DIR, METARR_DATABASE_URL).
#[derive(Debug, Parser)]
#[command(name = "metarr", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./metarr.toml when it exists).
    #[arg(long, global = true, env = "METARR_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API, WebSocket events), the workers and the scheduler in one process.
    ///
    /// Listens on METARR_BIND (default 127.0.0.1:3000) and keeps its data in METARR_DATA_DIR
    /// (default ./data, with the SQLite database data/metarr.db). Stops gracefully on SIGINT or
    /// SIGTERM: no new requests or jobs, running jobs get a grace period to finish.
    Serve,
    /// Run the workers and the scheduler only, without the HTTP server.
    ///
    /// For extra machines sharing one PostgreSQL database (METARR_DATABASE_URL=postgres://…)
    /// with a `metarr serve` process.
    Worker,
    /// Apply the database migrations and exit.
    Migrate,
    /// Scan folders into the catalogue now, in this process, and print a summary.
    ///
    /// Each PATH becomes a library unless one already covers it; the scan runs to completion
    /// (discovery, folders, artwork cache) with a progress bar on a terminal. The exit status is
    /// non-zero when a scan fails.
    Scan {
        /// Library folders to scan.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print each scan record as JSON (one object per line) instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Back up the database (a consistent copy, while Metarr runs), the API key and the
    /// configuration file into one tar file.
    ///
    /// PATH is a file name ending in .tar, or a folder (the backup gets a dated name in it);
    /// default: the data directory's backups/ folder. The artwork cache is left out unless --with-cache: it is
    /// rebuilt from the libraries and the providers. PostgreSQL needs pg_dump installed.
    Backup {
        /// Where to write the backup.
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// Include the artwork cache (large).
        #[arg(long)]
        with_cache: bool,
    },
    /// Put a backup back into an empty data directory (and, for PostgreSQL, an empty schema;
    /// pg_restore must be installed), then start Metarr as usual.
    Restore {
        /// The backup file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Print the API key (generating it if none exists yet).
    ///
    /// Clients send it in the X-Api-Key header or the apikey query parameter.
    ApiKey {
        /// Replace the stored key with a new one; clients using the old key must be updated.
        #[arg(long)]
        regenerate: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed_and_documents_every_command() {
        Cli::command().debug_assert();
        let mut command = Cli::command();
        for name in ["serve", "worker", "migrate", "scan", "backup", "restore", "api-key"] {
            let sub = command.find_subcommand_mut(name).expect("subcommand exists");
            let help = sub.render_long_help().to_string();
            assert!(help.len() > 40, "{name} has help text: {help}");
        }
        let cli = Cli::try_parse_from(["metarr", "api-key", "--regenerate", "--config", "x.toml"]).expect("parses");
        assert!(matches!(cli.command, Command::ApiKey { regenerate: true }));
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
    }
}
