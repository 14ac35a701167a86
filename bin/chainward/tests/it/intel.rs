//! `chainward serve` and `chainward intel` end to end, with real processes on real ports: two
//! instances (two data directories) sharing the real DPRK theft lists over TAXII 2.1, a pull from
//! a real medallion 3.0.0, every exported bundle through the OASIS `stix2_validator`, and bad
//! input.
//!
//! Needs `pip install medallion==3.0.0 stix2-validator==3.3.2` (the tests fail saying so).

use crate::{chainward, text};
use chainward_fixtures::{shared_file, workspace_root};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const RONIN_PRIMARY: &str = "0x098b716b8aaf21512996dc57eb0615e2383e2f96";
const RONIN_SWAP: &str = "0xe708f17240732bbfa1baa8513f66b665fbc7ce10";
const RONIN_ENTITY: &str = "Ronin Bridge theft 2022-03-23 (Lazarus Group)";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not answer on port {port} within 30 s:\n{log}");
}

/// `chainward` with extra environment variables.
fn chainward_env(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chainward"));
    command.arg("--data-dir").arg(data_dir).args(args).env_remove("CHAINWARD_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.stdin(Stdio::null()).output().expect("the chainward binary runs")
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    output
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)))
}

/// A `chainward serve` process, killed on drop.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    fn start_with(data_dir: &Path, extra: &[&str]) -> Self {
        let port = free_port();
        let log = data_dir.join("serve.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_chainward"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["-v", "--log-format", "json", "serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env_remove("CHAINWARD_LOG")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        wait_port(port, "chainward serve", &log);
        Self { child, port }
    }

    fn api_root(&self) -> String {
        format!("http://127.0.0.1:{}/aml1/", self.port)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use chainward_devnode::medallion::{Medallion, RW_COLLECTION as MEDALLION_COLLECTION};

const VALIDATOR_INSTALL: &str =
    "the STIX validator is not installed: run `pip install stix2-validator==3.3.2`";

/// The OASIS validator as in `crates/sharing/stix/tests/it/validator.rs`: strict, 103 and 202
/// disabled, our schemas.
fn validate(file: &Path) {
    let schemas = workspace_root().join("crates/sharing/stix/schemas");
    let args = ["--strict", "-d", "103,202", "--schemas", schemas.to_str().unwrap()];
    let output = match Command::new("stix2_validator").args(args).arg(file).output() {
        Ok(output) => output,
        Err(_) => Command::new("python3")
            .args([
                "-c",
                "import sys; from stix2validator.scripts.stix2_validator import main; \
                 sys.argv[0] = 'stix2_validator'; sys.exit(main())",
            ])
            .args(args)
            .arg(file)
            .output()
            .unwrap_or_else(|e| panic!("{VALIDATOR_INSTALL}: {e}")),
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!report.contains("No module named 'stix2validator'"), "{VALIDATOR_INSTALL}");
    assert!(output.status.success(), "stix2_validator refused {}:\n{report}", file.display());
    assert!(report.contains("STIX JSON: Valid"), "{report}");
    assert!(!report.contains("[X]") && !report.contains("[!]"), "{report}");
}

fn import_ronin(dir: &Path, file: &Path, as_of: &str) {
    ok(chainward(
        dir,
        &[
            "import",
            file.to_str().unwrap(),
            "--source",
            "dprk/ronin",
            "--category",
            "stolen_funds",
            "--entity",
            RONIN_ENTITY,
            "--confidence",
            "70",
            "--as-of",
            as_of,
        ],
    ));
}

/// Sets up A's TAXII server: API root, collection, two organizations, a publisher at A and a
/// partner user for B; returns B's token.
fn set_up_hub(a: &Path) -> String {
    let admin = |args: &[&str]| {
        let mut all = vec!["serve", "admin"];
        all.extend_from_slice(args);
        ok(chainward(a, &all))
    };
    admin(&["api-root", "add", "aml1", "--title", "AML trust group 1"]);
    let collection = admin(&[
        "collection",
        "add",
        "aml1",
        "--title",
        "Watchlist",
        "--alias",
        "watchlist",
        "--json",
    ]);
    assert_eq!(json(&collection)["alias"], "watchlist");
    admin(&["org", "add", "agency-a"]);
    admin(&["org", "add", "agency-b"]);
    let alice = chainward_env(
        a,
        &[
            "serve",
            "admin",
            "user",
            "add",
            "alice",
            "--org",
            "agency-a",
            "--password-env",
            "ALICE_PW",
        ],
        &[("ALICE_PW", "correct horse battery staple")],
    );
    let alice = ok(alice);
    assert!(!String::from_utf8_lossy(&alice.stdout).contains("correct horse"), "{}", text(&alice));
    let bob = admin(&["user", "add", "bob", "--org", "agency-b", "--json"]);
    let token = json(&bob)["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cwt_"), "{token}");
    admin(&["grant", "aml1", "watchlist", "agency-a", "--read", "--write", "--amber"]);
    admin(&["grant", "aml1", "watchlist", "agency-b", "--read", "--write", "--amber"]);
    token
}

fn screen_json(dir: &Path, address: &str) -> (Option<i32>, serde_json::Value) {
    let out = chainward(dir, &["screen", "--json", address]);
    (out.status.code(), json(&out))
}

#[test]
fn two_instances_share_the_ronin_list_over_taxii_and_a_delisting_reaches_the_partner() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ronin = shared_file("dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv");
    import_ronin(a.path(), &ronin, "2026-01-01");
    let token = set_up_hub(a.path());
    let hub = Served::start(a.path());
    let env = [("CHAINWARD_INTEL_AGENCY_A_TOKEN", token.as_str())];

    // B configures A as a remote; unknown remotes are refused by name.
    ok(chainward(
        b.path(),
        &[
            "intel",
            "remote",
            "add",
            "agency-a",
            "--url",
            &hub.api_root(),
            "--collection",
            "watchlist",
            "--user",
            "bob",
            "--tlp",
            "amber",
            "--producer",
            "Agency B",
        ],
    ));
    let unknown = chainward_env(b.path(), &["intel", "pull", "agency-x"], &env);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("unknown remote \"agency-x\"") && stderr.contains("agency-a"),
        "{stderr}"
    );

    // Before: B knows nothing of the address.
    assert_eq!(screen_json(b.path(), RONIN_PRIMARY).0, Some(0));

    // Publication at A → a screening hit at B.
    let started = Instant::now();
    let export = ok(chainward(
        a.path(),
        &["serve", "admin", "export-collection", "aml1", "watchlist", "--as", "alice", "--json"],
    ));
    let published = Instant::now();
    let summary = json(&export);
    let indicators = summary["new_indicators"].as_u64().unwrap();
    assert!(indicators > 100, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    let pull = ok(chainward_env(b.path(), &["intel", "pull", "agency-a", "--json"], &env));
    let pulled = json(&pull);
    let (code, result) = screen_json(b.path(), RONIN_PRIMARY);
    let hit_at = started.elapsed();
    assert_eq!(code, Some(1), "{result}");
    assert_eq!(result[0]["verdict"], "hit", "{result}");
    let hit = &result[0]["chains"][0]["hits"][0];
    assert!(hit["source"].as_str().unwrap().starts_with("stix/watchlist/identity--"), "{hit}");
    assert_eq!(hit["entity"], RONIN_ENTITY, "{hit}");
    assert_eq!(hit["category"], "stolen_funds", "{hit}");
    assert_eq!(pulled["pull"]["snapshots"][0]["listed"].as_u64().unwrap(), indicators, "{pulled}");
    println!(
        "publication at A → screening hit at B: {:.0} ms ({} indicators: export {:.0} ms, pull + \
         import + screen {:.0} ms; debug build, three processes)",
        hit_at.as_secs_f64() * 1000.0,
        indicators,
        (published - started).as_secs_f64() * 1000.0,
        (hit_at - (published - started)).as_secs_f64() * 1000.0
    );
    // The human output names the STIX provenance too.
    let human = chainward(b.path(), &["screen", RONIN_PRIMARY]);
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("stix/watchlist/identity--"),
        "{}",
        text(&human)
    );

    // Nothing new: a second pull lists nothing more.
    let again = json(&ok(chainward_env(b.path(), &["intel", "pull", "agency-a", "--json"], &env)));
    assert_eq!(again["pull"]["objects"], 0, "{again}");

    // B reports its hit back as a sighting of A's indicator.
    let sighting = ok(chainward_env(
        b.path(),
        &["intel", "sighting", "agency-a", RONIN_PRIMARY, "--count", "2", "--json"],
        &env,
    ));
    let sighting = json(&sighting);
    assert!(sighting["sightings"][0].as_str().unwrap().starts_with("sighting--"), "{sighting}");
    let not_listed = chainward_env(
        b.path(),
        &["intel", "sighting", "agency-a", "0x0000000000000000000000000000000000000001"],
        &env,
    );
    assert_eq!(not_listed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_listed.stderr).contains("no indicator pulled"));

    // A de-lists one address (a new snapshot of the list without it) and publishes again: one
    // revoked indicator, nothing else re-sent.
    let shorter = a.path().join("ronin-without-one.csv");
    let original = std::fs::read_to_string(&ronin).unwrap();
    let kept: Vec<&str> =
        original.lines().filter(|l| !l.to_lowercase().contains(RONIN_SWAP)).collect();
    assert_eq!(kept.len() + 1, original.lines().count());
    std::fs::write(&shorter, kept.join("\n") + "\n").unwrap();
    import_ronin(a.path(), &shorter, "2026-02-01");
    let export = json(&ok(chainward(
        a.path(),
        &["serve", "admin", "export-collection", "aml1", "watchlist", "--as", "alice", "--json"],
    )));
    assert_eq!(export["revoked_indicators"], 1, "{export}");
    assert_eq!(export["new_indicators"], 0, "{export}");
    assert_eq!(export["changed_indicators"], 0, "{export}");

    // Before B syncs it still hits; after, the address is de-listed (informational, exit 0),
    // the others still hit.
    assert_eq!(screen_json(b.path(), RONIN_SWAP).0, Some(1));
    let sync = json(&ok(chainward_env(b.path(), &["intel", "sync", "agency-a", "--json"], &env)));
    assert_eq!(sync["pull"]["delisted_indicators"], 1, "{sync}");
    assert_eq!(sync["pull"]["snapshots"][0]["delisted"], 1, "{sync}");
    let (code, result) = screen_json(b.path(), RONIN_SWAP);
    assert_eq!(code, Some(0), "{result}");
    assert_eq!(result[0]["verdict"], "informational", "{result}");
    assert!(result[0]["chains"][0]["hits"][0]["delisted_in"].is_object(), "{result}");
    assert_eq!(screen_json(b.path(), RONIN_PRIMARY).0, Some(1));

    // (c) Every bundle `intel export` writes passes the OASIS validator: A's (with a revoked
    // indicator) and B's partner entries re-exported on purpose.
    let bundle_a = a.path().join("bundle-a.json");
    let out = json(&ok(chainward(
        a.path(),
        &["intel", "export", "--out", bundle_a.to_str().unwrap(), "--json"],
    )));
    assert_eq!(out["revoked_indicators"], 1, "{out}");
    validate(&bundle_a);
    let bundle_b = b.path().join("bundle-b.json");
    ok(chainward(
        b.path(),
        &[
            "intel",
            "export",
            "--out",
            bundle_b.to_str().unwrap(),
            "--tlp",
            "amber", // they came under AMBER: GREEN would be refused (held back)
            "--include-partner-entries",
            "--producer",
            "Agency B",
        ],
    ));
    validate(&bundle_b);

    // Ctrl-C (SIGINT) stops the server cleanly; it logged structured lines.
    let mut hub = hub;
    let pid = hub.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = hub.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 20 s of SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(a.path().join("serve.log")).unwrap();
    assert!(log.contains("\"message\":\"request\""), "{log}");
    assert!(log.contains("chainward serve: stopped"), "{log}");
}

#[test]
fn bundles_move_between_instances_as_files_and_bad_input_is_refused() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ronin = shared_file("dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv");
    import_ronin(a.path(), &ronin, "2026-01-01");
    let bundle = a.path().join("ronin.json");
    ok(chainward(
        a.path(),
        &["intel", "export", "--out", bundle.to_str().unwrap(), "--tlp", "clear"],
    ));
    validate(&bundle);

    // (d) A malformed bundle: the error names the object and property; nothing is stored.
    let text_of = std::fs::read_to_string(&bundle).unwrap();
    let broken = text_of.replacen(
        "\"pattern\": \"[cryptocurrency-wallet:value = '",
        "\"pattern\": \"[cryptocurrency-wallet:value = ",
        1,
    );
    assert_ne!(broken, text_of);
    let bad = b.path().join("broken.json");
    std::fs::write(&bad, broken).unwrap();
    let out = chainward(b.path(), &["intel", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a valid STIX 2.1 bundle"), "{stderr}");
    assert!(stderr.contains("indicator--") && stderr.contains("pattern"), "{stderr}");
    let not_json = b.path().join("not.json");
    std::fs::write(&not_json, "{\"type\": \"bundle\", \"objects\": [").unwrap();
    let out = chainward(b.path(), &["intel", "import", not_json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let sources = json(&ok(chainward(b.path(), &["lists", "sources", "--json"])));
    assert_eq!(sources.as_array().unwrap().len(), 0, "nothing stored: {sources}");

    // The good file: the same entries, filed under the file's collection.
    let out =
        json(&ok(chainward(b.path(), &["intel", "import", bundle.to_str().unwrap(), "--json"])));
    assert!(
        out["snapshots"][0]["source"].as_str().unwrap().starts_with("stix/file/identity--"),
        "{out}"
    );
    let (code, result) = screen_json(b.path(), RONIN_PRIMARY);
    assert_eq!(code, Some(1), "{result}");
    assert_eq!(result[0]["chains"][0]["hits"][0]["entity"], RONIN_ENTITY);

    // Help with examples.
    for command in [&["serve", "--help"][..], &["intel", "--help"], &["serve", "admin", "--help"]] {
        let out = ok(chainward(b.path(), command));
        assert!(!out.stdout.is_empty());
    }
    assert!(
        String::from_utf8_lossy(&ok(chainward(b.path(), &["intel", "--help"])).stdout)
            .contains("Examples:")
    );
}

#[test]
fn a_partner_pulls_an_indicator_from_medallion() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let medallion = Medallion::start(100);
    let url = medallion.api_root();
    let env = [("CHAINWARD_INTEL_MEDALLION_TOKEN", "Password0")];
    let stake = shared_file("dprk_hacks/stake_com_tayvano_addresses.csv");
    ok(chainward(
        a.path(),
        &[
            "import",
            stake.to_str().unwrap(),
            "--source",
            "dprk/stake",
            "--category",
            "stolen_funds",
            "--entity",
            "Lazarus Group",
        ],
    ));
    for dir in [a.path(), b.path()] {
        ok(chainward(
            dir,
            &[
                "intel",
                "remote",
                "add",
                "medallion",
                "--url",
                &url,
                "--collection",
                MEDALLION_COLLECTION,
                "--user",
                "admin",
                "--no-extension-definitions",
            ],
        ));
    }
    // A publishes to medallion, B pulls from it.
    let push = json(&ok(chainward_env(a.path(), &["intel", "push", "medallion", "--json"], &env)));
    assert!(push["push"]["stored"].as_u64().unwrap() > 10, "{push}");
    assert_eq!(push["push"]["failed"], 0, "{push}");
    let pull = json(&ok(chainward_env(b.path(), &["intel", "pull", "medallion", "--json"], &env)));
    let listed = pull["pull"]["snapshots"][0]["listed"].as_u64().unwrap();
    assert!(listed > 10, "{pull}");
    let first = std::fs::read_to_string(&stake).unwrap();
    let address = first.lines().nth(1).unwrap().split(',').nth(1).unwrap().to_owned();
    let (code, result) = screen_json(b.path(), &address);
    assert_eq!(code, Some(1), "{address}: {result}");
    assert_eq!(result[0]["chains"][0]["hits"][0]["entity"], "Lazarus Group", "{result}");
    // A wrong password is a clear error naming the remote.
    let wrong = chainward_env(
        b.path(),
        &["intel", "pull", "medallion"],
        &[("CHAINWARD_INTEL_MEDALLION_TOKEN", "nope")],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("cannot pull from remote medallion"),
        "{}",
        text(&wrong)
    );
}

/// A plain HTTP/1.1 request (the binary's tests have no HTTP client): status and body.
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(!head.to_lowercase().contains("transfer-encoding: chunked"), "{head}");
    (status, answer[split + 4..].to_vec())
}

fn private_lookup(
    port: u16,
    token: &str,
    set: &chainward_private_lookup::PublishedSet,
    address: &str,
) -> Result<bool, chainward_private_lookup::Error> {
    let client = chainward_private_lookup::Client::for_set(set);
    let (request, state) = client.blind(address)?;
    let body = serde_json::to_vec(&request).unwrap();
    let (status, answer) = http(port, "POST", "/private-lookup/v1/evaluate", Some(token), &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let response: chainward_private_lookup::EvaluatedResponse =
        serde_json::from_slice(&answer).unwrap();
    client.finalize(state, &response, set)
}

#[test]
fn a_partner_looks_an_address_up_privately_and_sees_a_delisting() {
    let a = tempfile::tempdir().unwrap();
    let ronin = shared_file("dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv");
    import_ronin(a.path(), &ronin, "2026-01-01");
    let token = set_up_hub(a.path());
    let hub = Served::start(a.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = a.path().join("keys/private-lookup.key");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }

    // Authentication is required.
    assert_eq!(http(hub.port, "GET", "/private-lookup/v1/set", None, b"").0, 401);
    let (status, key) = http(hub.port, "GET", "/private-lookup/v1/key", Some(&token), b"");
    assert_eq!(status, 200);
    let key: serde_json::Value = serde_json::from_slice(&key).unwrap();
    assert_eq!(key["suite"], "ristretto255-SHA512");
    let (status, bytes) = http(hub.port, "GET", "/private-lookup/v1/set", Some(&token), b"");
    assert_eq!(status, 200);
    let set = chainward_private_lookup::PublishedSet::from_bytes(&bytes).unwrap();
    assert!(set.len() >= 100, "{}", set.len());
    assert!(private_lookup(hub.port, &token, &set, RONIN_SWAP).unwrap());
    assert!(
        !private_lookup(hub.port, &token, &set, "0x0000000000000000000000000000000000000001")
            .unwrap()
    );
    let (status, _) =
        http(hub.port, "POST", "/private-lookup/v1/evaluate", Some(&token), b"{\"version\":1}");
    assert_eq!(status, 400);

    // A de-lists an address and republishes: the old set is refused as stale, the new one
    // says "not listed".
    let shorter = a.path().join("ronin-without-one.csv");
    let original = std::fs::read_to_string(&ronin).unwrap();
    let kept: Vec<&str> =
        original.lines().filter(|l| !l.to_lowercase().contains(RONIN_SWAP)).collect();
    std::fs::write(&shorter, kept.join("\n") + "\n").unwrap();
    import_ronin(a.path(), &shorter, "2026-02-01");
    let published = json(&ok(chainward(a.path(), &["serve", "admin", "publish-set", "--json"])));
    assert_eq!(published["version"].as_u64(), Some(set.version() + 1), "{published}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let fresh = loop {
        let (_, bytes) = http(hub.port, "GET", "/private-lookup/v1/set", Some(&token), b"");
        let fresh = chainward_private_lookup::PublishedSet::from_bytes(&bytes).unwrap();
        if fresh.version() > set.version() || Instant::now() > deadline {
            break fresh;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(fresh.version(), set.version() + 1);
    assert!(matches!(
        private_lookup(hub.port, &token, &set, RONIN_SWAP),
        Err(chainward_private_lookup::Error::StaleSet { .. })
    ));
    assert!(!private_lookup(hub.port, &token, &fresh, RONIN_SWAP).unwrap());
    assert!(private_lookup(hub.port, &token, &fresh, RONIN_PRIMARY).unwrap());
}

/// A private CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM files
/// in `dir`: (ca.pem, server.pem, server-key.pem).
fn private_ca(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.distinguished_name.push(DnType::CommonName, "Agency A test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    let paths = (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server-key.pem"));
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, server_cert.pem()).unwrap();
    std::fs::write(&paths.2, server_key.serialize_pem()).unwrap();
    (paths.0, paths.1, paths.2)
}

#[test]
fn a_partner_pulls_over_https_trusting_the_hubs_private_ca_and_refuses_it_otherwise() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let pki = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(pki.path());
    let ronin = shared_file("dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv");
    import_ronin(a.path(), &ronin, "2026-01-01");
    let token = set_up_hub(a.path());

    // Bad TLS settings are refused before serving, naming the file.
    let missing = pki.path().join("missing.pem");
    let out = chainward(
        a.path(),
        &["serve", "--tls-cert", missing.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pem"), "{}", text(&out));
    let out = chainward(a.path(), &["serve", "--tls-cert", cert.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"), "{}", text(&out));

    ok(chainward(
        a.path(),
        &["serve", "admin", "export-collection", "aml1", "watchlist", "--as", "alice"],
    ));
    let hub = Served::start_with(
        a.path(),
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    let url = format!("https://127.0.0.1:{}/aml1/", hub.port);
    let env = [("CHAINWARD_INTEL_AGENCY_A_TOKEN", token.as_str())];
    // `intel remote add NAME --url URL --collection watchlist EXTRA…`
    let add = |name: &str, url: &str, extra: &[&str]| {
        let mut args =
            vec!["intel", "remote", "add", name, "--url", url, "--collection", "watchlist"];
        args.extend_from_slice(extra);
        chainward(b.path(), &args)
    };

    // Without the hub's CA the partner refuses the connection, and says why.
    ok(add("agency-a", &url, &[]));
    let refused = chainward_env(b.path(), &["intel", "pull", "agency-a"], &env);
    assert!(!refused.status.success(), "{}", text(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(stderr.contains("certificate") || stderr.contains("issuer"), "{}", text(&refused));
    assert_eq!(screen_json(b.path(), RONIN_PRIMARY).0, Some(0));

    // A CA file that holds no certificate is refused when the remote is added.
    let out = add("agency-a", &url, &["--ca-cert", key.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PEM certificate"), "{}", text(&out));

    // Trusting the private CA, the pull works over TLS and screening at B hits.
    ok(add("agency-a", &url, &["--ca-cert", ca.to_str().unwrap()]));
    let pulled = chainward_env(b.path(), &["intel", "pull", "agency-a", "--json"], &env);
    assert!(pulled.status.success(), "{}", text(&pulled));
    let (code, screened) = screen_json(b.path(), RONIN_PRIMARY);
    assert_eq!(code, Some(1), "{screened:#}");
    assert_eq!(screened[0]["verdict"], "hit", "{screened:#}");

    // Plain HTTP to the TLS port gets no TAXII answer.
    ok(add("plain", &format!("http://127.0.0.1:{}/aml1/", hub.port), &[]));
    let out = chainward_env(
        b.path(),
        &["intel", "pull", "plain"],
        &[("CHAINWARD_INTEL_PLAIN_TOKEN", token.as_str())],
    );
    assert!(!out.status.success(), "{}", text(&out));
}

/// Re-sharing what partners sent never lowers its TLP: entries that came under AMBER go on only
/// under AMBER or stricter, RED entries never go on, and what is held back is said.
#[test]
fn partner_entries_are_re_shared_only_under_their_own_tlp_or_stricter() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ronin = shared_file("dprk_hacks/ronin_bridge_tayvano_addresses_partial.csv");
    import_ronin(a.path(), &ronin, "2026-01-01");
    let export = |dir: &Path, out: &Path, tlp: &str, partners: bool| {
        let mut args = vec!["intel", "export", "--out", out.to_str().unwrap(), "--tlp", tlp];
        if partners {
            args.push("--include-partner-entries");
        }
        chainward(dir, &args)
    };
    let indicators = |file: &Path| {
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        bundle["objects"].as_array().unwrap().iter().filter(|o| o["type"] == "indicator").count()
    };
    let amber = a.path().join("amber.json");
    ok(export(a.path(), &amber, "amber", false));
    let shared = indicators(&amber);
    assert!(shared > 100, "{shared}");
    ok(chainward(b.path(), &["intel", "import", amber.to_str().unwrap()]));

    // Looser than AMBER: held back, and said.
    let green = b.path().join("green.json");
    let out = export(b.path(), &green, "green", true);
    assert!(!out.status.success(), "nothing else to export: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("held back") && stderr.contains("TLP:AMBER"), "{stderr}");
    // AMBER or stricter: passed on.
    let again = b.path().join("again.json");
    ok(export(b.path(), &again, "amber", true));
    assert_eq!(indicators(&again), shared);
    ok(export(b.path(), &again, "amber+strict", true));
    assert_eq!(indicators(&again), shared);

    // RED is never passed on, even under RED.
    let c = tempfile::tempdir().unwrap();
    let red = a.path().join("red.json");
    ok(export(a.path(), &red, "red", false));
    ok(chainward(c.path(), &["intel", "import", red.to_str().unwrap()]));
    let out = export(c.path(), &c.path().join("out.json"), "red", true);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLP:RED"), "{}", text(&out));
}
