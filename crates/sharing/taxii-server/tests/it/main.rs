//! Integration tests: a real server on 127.0.0.1 (random port) over a SQLite store, driven with
//! reqwest, and the interop check with the Python taxii2-client.

mod interop;

use chainward_store::SqliteStore;
use chainward_taxii_server::admin::{self, UserSpec};
use chainward_taxii_server::{
    AppState, DateAddedPolicy, Rights, ServerConfig, serve_with_shutdown,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

pub(crate) const TAXII: &str = "application/taxii+json;version=2.1";
pub(crate) const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
pub(crate) const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
pub(crate) const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
pub(crate) const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
pub(crate) const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
pub(crate) const ALICE_PASSWORD: &str = "alice-correct-horse";

/// A running server with its fixture:
/// - API root `aml1` (max_content_length 64 KiB);
/// - organizations alpha, bravo, charlie, delta;
/// - collection `shared`: alpha read+write+AMBER, bravo read+write+AMBER, charlie read only
///   (no AMBER), delta nothing; `writeonly`: alpha write only; `secret`: bravo only;
/// - users alice (alpha, password), alpha-ro (alpha, read-only user), bob (bravo), carol
///   (charlie), dave (delta).
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: HashMap<&'static str, String>,
    pub(crate) shared: String,
    pub(crate) writeonly: String,
    pub(crate) secret: String,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub(crate) async fn start(config: ServerConfig) -> Server {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    admin::create_api_root(&mut store, "aml1", "AML trust group 1", Some("test root"), 65_536)
        .unwrap();
    for org in ["alpha", "bravo", "charlie", "delta"] {
        admin::create_organization(&mut store, org).unwrap();
    }
    let shared =
        admin::create_collection(&mut store, "aml1", "Shared watchlist", None, Some("shared"))
            .unwrap();
    let writeonly =
        admin::create_collection(&mut store, "aml1", "Drop box", Some("write only"), None).unwrap();
    let secret = admin::create_collection(&mut store, "aml1", "Bravo only", None, None).unwrap();
    let rw = Rights { read: true, write: true, amber: true };
    admin::grant(&mut store, "aml1", "shared", "alpha", rw).unwrap();
    admin::grant(&mut store, "aml1", "shared", "bravo", rw).unwrap();
    let read = Rights { read: true, write: false, amber: false };
    admin::grant(&mut store, "aml1", "shared", "charlie", read).unwrap();
    let write_only = Rights { read: false, write: true, amber: false };
    admin::grant(&mut store, "aml1", &writeonly.uuid, "alpha", write_only).unwrap();
    admin::grant(&mut store, "aml1", &secret.uuid, "bravo", rw).unwrap();
    let mut tokens = HashMap::new();
    for (name, org, password, can_write) in [
        ("alice", "alpha", Some(ALICE_PASSWORD), true),
        ("alpha-ro", "alpha", None, false),
        ("bob", "bravo", None, true),
        ("carol", "charlie", None, true),
        ("dave", "delta", None, true),
    ] {
        let spec = UserSpec { name, organization: org, password, can_write };
        let (_, token) = admin::create_user(&mut store, &spec).unwrap();
        tokens.insert(name, token);
    }
    drop(store);
    let path = dir.path().to_owned();
    let state = AppState::new(config, move || SqliteStore::open(&path)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_with_shutdown(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Server {
        base,
        http: reqwest::Client::builder().build().unwrap(),
        tokens,
        shared: shared.uuid,
        writeonly: writeonly.uuid,
        secret: secret.uuid,
        dir,
        state,
        _stop: stop,
    }
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Ids of an envelope's or manifest's objects.
    fn ids(&self) -> Vec<String> {
        self.body["objects"]
            .as_array()
            .map(|items| items.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    /// Asserts a TAXII error resource with this status.
    #[track_caller]
    fn assert_error(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.header("content-type"), Some(TAXII), "{}", self.body);
        assert!(self.body["title"].is_string(), "{}", self.body);
        assert!(self.body["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(self.body["http_status"], json!(status.to_string()));
    }
}

impl Server {
    pub(crate) fn collection_path(&self, collection: &str) -> String {
        format!("/aml1/collections/{collection}/")
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        Answer { status, headers, body }
    }

    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        user: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("Accept", TAXII)
            .bearer_auth(&self.tokens[user])
    }

    pub(crate) async fn get(&self, user: &str, path: &str) -> Answer {
        self.send(self.request(reqwest::Method::GET, user, path)).await
    }

    pub(crate) async fn post(&self, user: &str, collection: &str, envelope: &Value) -> Answer {
        let path = format!("{}objects/", self.collection_path(collection));
        self.send(
            self.request(reqwest::Method::POST, user, &path)
                .header("Content-Type", TAXII)
                .body(envelope.to_string()),
        )
        .await
    }

    pub(crate) async fn objects(&self, user: &str, collection: &str, query: &str) -> Answer {
        self.get(user, &format!("{}objects/?{query}", self.collection_path(collection))).await
    }

    /// Every id reachable by following `next` from `query`, with the pages' sizes.
    async fn page_all(&self, user: &str, endpoint: &str, query: &str) -> (Vec<String>, usize) {
        let mut ids = Vec::new();
        let mut pages = 0;
        let mut next: Option<String> = None;
        loop {
            let mut q = query.to_owned();
            if let Some(n) = &next {
                q.push_str(&format!("&next={n}"));
            }
            let path = format!("{}{endpoint}/?{q}", self.collection_path(&self.shared));
            let page = self.get(user, &path).await;
            assert_eq!(page.status, 200, "{}", page.body);
            pages += 1;
            ids.extend(page.ids());
            if page.body["more"] == json!(true) {
                next = Some(page.body["next"].as_str().expect("more without next").to_owned());
            } else {
                assert!(page.body.get("next").is_none());
                return (ids, pages);
            }
        }
    }
}

pub(crate) fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

pub(crate) fn indicator(n: u64, modified: &str, markings: &[&str]) -> Value {
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid(n)),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": format!("stolen funds wallet {n}"),
        "pattern": format!("[cryptocurrency-wallet:value = '0x{n:040x}']"),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    });
    if !markings.is_empty() {
        o["object_marking_refs"] = json!(markings);
    }
    o
}

pub(crate) fn wallet(n: u64) -> Value {
    json!({
        "type": "cryptocurrency-wallet",
        "spec_version": "2.1",
        "id": format!("cryptocurrency-wallet--{}", uuid(n)),
        "value": format!("0x{n:040x}"),
    })
}

fn envelope(objects: Vec<Value>) -> Value {
    json!({ "objects": objects })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_api_root_and_collections_are_filtered_per_organization() {
    let s = start(ServerConfig {
        default_api_root: Some("aml1".into()),
        description: Some("test".into()),
        ..ServerConfig::default()
    })
    .await;
    let d = s.get("alice", "/taxii2/").await;
    assert_eq!(d.status, 200);
    assert_eq!(d.header("content-type"), Some(TAXII));
    assert_eq!(d.body["title"], "Chainward TAXII server");
    assert_eq!(d.body["api_roots"], json!([format!("{}/aml1/", s.base)]));
    assert_eq!(d.body["default"], json!(format!("{}/aml1/", s.base)));
    // delta has no rights anywhere: no API root, and the root is 404 for it.
    let d = s.get("dave", "/taxii2/").await;
    assert_eq!(d.status, 200);
    assert!(d.body.get("api_roots").is_none() && d.body.get("default").is_none());
    s.get("dave", "/aml1/").await.assert_error(404);
    s.get("dave", "/aml1/collections/").await.assert_error(404);

    let r = s.get("alice", "/aml1/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["title"], "AML trust group 1");
    assert_eq!(r.body["versions"], json!([TAXII]));
    assert_eq!(r.body["max_content_length"], 65_536);
    s.get("alice", "/nope/").await.assert_error(404);

    let c = s.get("alice", "/aml1/collections/").await;
    let listed: Vec<(String, bool, bool)> = c.body["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["id"].as_str().unwrap().to_owned(), c["can_read"] == true, c["can_write"] == true)
        })
        .collect();
    assert_eq!(listed, [(s.shared.clone(), true, true), (s.writeonly.clone(), false, true)]);
    let one = s.get("alice", &s.collection_path(&s.shared)).await;
    assert_eq!(one.body["title"], "Shared watchlist");
    assert_eq!(one.body["alias"], "shared");
    assert_eq!(one.body["media_types"], json!(["application/stix+json;version=2.1"]));
    // The alias works in URLs too.
    assert_eq!(s.get("alice", "/aml1/collections/shared/").await.body["id"], json!(s.shared));
    // A read-only user of a read-write organization cannot write.
    let ro = s.get("alpha-ro", &s.collection_path(&s.shared)).await;
    assert_eq!(
        (ro.body["can_read"].clone(), ro.body["can_write"].clone()),
        (json!(true), json!(false))
    );
    // Without any right, a collection does not exist for the caller.
    s.get("alice", &s.collection_path(&s.secret)).await.assert_error(404);
    s.get("dave", &s.collection_path(&s.shared)).await.assert_error(404);
    // Paths without the trailing slash are served too.
    assert_eq!(s.get("alice", "/aml1/collections").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_by_token_and_basic() {
    let s = start(ServerConfig::default()).await;
    let url = format!("{}/taxii2/", s.base);
    let none = s.send(s.http.get(&url).header("Accept", TAXII)).await;
    none.assert_error(401);
    let challenge = none.header("www-authenticate").unwrap();
    assert!(challenge.contains("Basic") && challenge.contains("Bearer"), "{challenge}");
    s.send(s.http.get(&url).header("Accept", TAXII).bearer_auth("cwt_forged"))
        .await
        .assert_error(401);
    let basic = s
        .send(s.http.get(&url).header("Accept", TAXII).basic_auth("alice", Some(ALICE_PASSWORD)))
        .await;
    assert_eq!(basic.status, 200, "{}", basic.body);
    // Again (the verified credentials are cached), then a wrong password, then no such user.
    let again = s
        .send(s.http.get(&url).header("Accept", TAXII).basic_auth("alice", Some(ALICE_PASSWORD)))
        .await;
    assert_eq!(again.status, 200);
    s.send(s.http.get(&url).header("Accept", TAXII).basic_auth("alice", Some("wrong")))
        .await
        .assert_error(401);
    s.send(s.http.get(&url).header("Accept", TAXII).basic_auth("mallory", Some("x")))
        .await
        .assert_error(401);
    // A token-only user cannot use Basic at all.
    s.send(s.http.get(&url).header("Accept", TAXII).basic_auth("bob", Some("")))
        .await
        .assert_error(401);
    s.send(s.http.get(&url).header("Accept", TAXII).header("Authorization", "Digest x"))
        .await
        .assert_error(401);
    // Revoked tokens stop working; a new one works; a disabled user is refused.
    let mut store = SqliteStore::open(s.dir.path()).unwrap();
    assert_eq!(admin::revoke_tokens(&mut store, "bob").unwrap(), 1);
    s.get("bob", "/taxii2/").await.assert_error(401);
    let fresh = admin::issue_token(&mut store, "bob", "second").unwrap();
    let ok = s.send(s.http.get(&url).header("Accept", TAXII).bearer_auth(&fresh)).await;
    assert_eq!(ok.status, 200);
    admin::set_user_flags(&mut store, "bob", true, true).unwrap();
    s.send(s.http.get(&url).header("Accept", TAXII).bearer_auth(&fresh)).await.assert_error(401);
    // Basic can be switched off.
    let s = start(ServerConfig { basic_auth: false, ..ServerConfig::default() }).await;
    let url = format!("{}/taxii2/", s.base);
    s.send(s.http.get(&url).header("Accept", TAXII).basic_auth("alice", Some(ALICE_PASSWORD)))
        .await
        .assert_error(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_types_methods_and_paths() {
    let s = start(ServerConfig::default()).await;
    let get = |accept: &'static str| {
        s.http
            .get(format!("{}/aml1/", s.base))
            .header("Accept", accept)
            .bearer_auth(&s.tokens["alice"])
    };
    for ok in
        ["application/taxii+json", "application/taxii+json; version=2.1", "*/*", "application/*"]
    {
        let a = s.send(get(ok)).await;
        assert_eq!(a.status, 200, "{ok}");
        assert_eq!(a.header("content-type"), Some(TAXII));
    }
    for bad in [
        "application/json",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.0",
        "text/html",
    ] {
        s.send(get(bad)).await.assert_error(406);
    }
    let path = format!("{}{}objects/", s.base, s.collection_path(&s.shared));
    let post = |content_type: Option<&'static str>| {
        let mut r = s
            .http
            .post(&path)
            .header("Accept", TAXII)
            .bearer_auth(&s.tokens["alice"])
            .body(envelope(vec![wallet(1)]).to_string());
        if let Some(ct) = content_type {
            r = r.header("Content-Type", ct);
        }
        r
    };
    s.send(post(Some("application/json"))).await.assert_error(415);
    s.send(post(Some("application/stix+json;version=2.1"))).await.assert_error(415);
    s.send(post(None)).await.assert_error(415);
    assert_eq!(s.send(post(Some("application/taxii+json"))).await.status, 202);
    // Unknown paths and methods.
    s.get("alice", "/aml1/collections/x/y/z/w/v/").await.assert_error(404);
    s.get("alice", "/aml1/statuses/").await.assert_error(404);
    let put = s.send(s.request(reqwest::Method::PUT, "alice", "/aml1/collections/")).await;
    put.assert_error(405);
    assert_eq!(put.header("allow"), Some("GET"));
    let del =
        s.send(s.request(reqwest::Method::DELETE, "alice", &s.collection_path(&s.shared))).await;
    del.assert_error(405);
    // A malformed object id in the URL is a 404.
    s.get("alice", &format!("{}objects/nonsense/", s.collection_path(&s.shared)))
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_parameters_and_oversized_bodies() {
    let s = start(ServerConfig::default()).await;
    for bad in [
        "limit=0",
        "limit=abc",
        "limit=-5",
        "added_after=yesterday",
        "added_after=2026-11-20",
        "match[version]=newest",
        "match[spec_version]=9.9",
        "match[type]=Not_A_Type",
        "match[id]=wallet",
        "match[type]=indicator&match[type]=malware",
        "next=",
    ] {
        s.objects("alice", &s.shared, bad).await.assert_error(400);
        s.get("alice", &format!("{}manifest/?{bad}", s.collection_path(&s.shared)))
            .await
            .assert_error(400);
    }
    // Unknown parameters and match fields are ignored.
    assert_eq!(s.objects("alice", &s.shared, "foo=bar&match[color]=red").await.status, 200);
    // 413 above max_content_length (64 KiB), declared or chunked.
    let big: Vec<Value> = (0..700).map(|n| indicator(n, "2026-01-01T00:00:00.000Z", &[])).collect();
    let big = envelope(big);
    assert!(big.to_string().len() > 65_536);
    s.post("alice", &s.shared, &big).await.assert_error(413);
    let chunked = raw_chunked_post(&s, &big.to_string()).await;
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    // Nothing of either was stored.
    assert!(s.objects("alice", &s.shared, "").await.body.get("objects").is_none());
}

/// POSTs `body` with `Transfer-Encoding: chunked` (no Content-Length) over a raw socket and
/// returns the response head.
async fn raw_chunked_post(s: &Server, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST {}objects/ HTTP/1.1\r\nHost: {addr}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\n\
         Authorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.collection_path(&s.shared),
        s.tokens["alice"]
    );
    for chunk in body.as_bytes().chunks(8192) {
        request.push_str(&format!("{:x}\r\n", chunk.len()));
        request.push_str(std::str::from_utf8(chunk).unwrap());
        request.push_str("\r\n");
    }
    request.push_str("0\r\n\r\n");
    // The server may answer and close before reading everything: ignore write errors.
    let _ = socket.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_manifest_and_every_filter() {
    let s = start(ServerConfig::default()).await;
    let v1 = "2026-11-20T09:00:00.000Z";
    let v2 = "2026-11-21T09:00:00.000Z";
    let v3 = "2026-11-22T09:00:00.000Z";
    let first = s.post("alice", &s.shared, &envelope(vec![indicator(1, v1, &[]), wallet(2)])).await;
    assert_eq!(first.status, 202, "{}", first.body);
    let second = s
        .post(
            "alice",
            &s.shared,
            &envelope(vec![indicator(1, v2, &[]), indicator(3, v1, &[GREEN])]),
        )
        .await;
    assert_eq!(second.body["success_count"], 2);
    let third = s.post("alice", &s.shared, &envelope(vec![indicator(1, v3, &[])])).await;
    assert_eq!(third.body["success_count"], 1);
    // A STIX 2.0 version of another object (no spec_version filter: only the latest spec
    // version of each object is served).
    let mut old = indicator(4, v1, &[]);
    old["spec_version"] = json!("2.0");
    let mut new = indicator(4, v2, &[]);
    new["spec_version"] = json!("2.1");
    assert_eq!(
        s.post("alice", &s.shared, &envelope(vec![old, new])).await.body["success_count"],
        2
    );

    let i1 = format!("indicator--{}", uuid(1));
    let w2 = format!("cryptocurrency-wallet--{}", uuid(2));
    let i3 = format!("indicator--{}", uuid(3));
    let i4 = format!("indicator--{}", uuid(4));

    // Default: the last version of each object, in date_added order.
    let all = s.objects("alice", &s.shared, "").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["more"], false);
    assert_eq!(all.ids(), [w2.clone(), i3.clone(), i1.clone(), i4.clone()]);
    let objects = all.body["objects"].as_array().unwrap();
    assert_eq!(objects[2]["modified"], v3);
    assert_eq!(objects[3]["spec_version"], "2.1");
    let first_added = all.header("x-taxii-date-added-first").unwrap().to_owned();
    let last_added = all.header("x-taxii-date-added-last").unwrap().to_owned();
    assert!(first_added < last_added && first_added.ends_with('Z') && first_added.len() == 27);

    // match[type], match[id] (comma lists are ORed, fields ANDed).
    let wallets = s.objects("alice", &s.shared, "match[type]=cryptocurrency-wallet").await;
    assert_eq!(wallets.ids(), std::slice::from_ref(&w2));
    assert_eq!(wallets.body["objects"][0]["value"], format!("0x{:040x}", 2));
    let two = s.objects("alice", &s.shared, &format!("match[id]={i1},{w2}")).await;
    assert_eq!(two.ids(), [w2.clone(), i1.clone()]);
    let none = s.objects("alice", &s.shared, &format!("match[id]={i1}&match[type]=malware")).await;
    assert_eq!(none.status, 200);
    assert!(none.body.get("objects").is_none() && none.body["more"] == false);
    assert!(none.header("x-taxii-date-added-first").is_none());
    let many =
        s.objects("alice", &s.shared, "match%5Btype%5D=indicator,cryptocurrency-wallet").await;
    assert_eq!(many.ids().len(), 4);

    // match[version]: first, last, all, a timestamp, a list.
    let versions_of = |a: &Answer| -> Vec<String> {
        a.body["objects"]
            .as_array()
            .map(|o| o.iter().map(|o| o["modified"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let q = |v: &str| format!("match[id]={i1}&match[version]={v}");
    assert_eq!(versions_of(&s.objects("alice", &s.shared, &q("first")).await), [v1]);
    assert_eq!(versions_of(&s.objects("alice", &s.shared, &q("last")).await), [v3]);
    assert_eq!(versions_of(&s.objects("alice", &s.shared, &q("all")).await), [v1, v2, v3]);
    assert_eq!(versions_of(&s.objects("alice", &s.shared, &q(v2)).await), [v2]);
    assert_eq!(
        versions_of(&s.objects("alice", &s.shared, &q(&format!("first,{v3}"))).await),
        [v1, v3]
    );
    assert_eq!(
        versions_of(&s.objects("alice", &s.shared, &q("2026-11-22T09:00:00.000000Z")).await),
        [v3],
        "timestamps compare as instants, whatever their precision"
    );
    // match[spec_version].
    let q4 = |extra: &str| format!("match[id]={i4}&match[version]=all{extra}");
    let spec = |a: &Answer| -> Vec<String> {
        a.body["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["spec_version"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(spec(&s.objects("alice", &s.shared, &q4("")).await), ["2.1"]);
    assert_eq!(
        spec(&s.objects("alice", &s.shared, &q4("&match[spec_version]=2.0")).await),
        ["2.0"]
    );
    assert_eq!(
        spec(&s.objects("alice", &s.shared, &q4("&match[spec_version]=2.0,2.1")).await),
        ["2.0", "2.1"]
    );

    // added_after is exclusive: after the first object's date_added, it is not returned.
    let after_first = s.objects("alice", &s.shared, &format!("added_after={first_added}")).await;
    assert_eq!(after_first.ids(), [i3.clone(), i1.clone(), i4.clone()]);
    let after_last = s.objects("alice", &s.shared, &format!("added_after={last_added}")).await;
    assert!(after_last.body.get("objects").is_none());

    // Manifest: the same entries with metadata.
    let manifest = s
        .get("alice", &format!("{}manifest/?match[type]=indicator", s.collection_path(&s.shared)))
        .await;
    assert_eq!(manifest.status, 200);
    let entries = manifest.body["objects"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["id"], json!(i1));
    assert_eq!(entries[1]["version"], v3);
    assert_eq!(entries[1]["media_type"], "application/stix+json;version=2.1");
    assert!(entries[1]["date_added"].as_str().unwrap().len() == 27);
    assert!(manifest.header("x-taxii-date-added-last").is_some());
    assert!(entries[0].get("pattern").is_none());

    // One object: its last version by default; filters apply; unknown id is 404.
    let one = s.get("alice", &format!("{}objects/{i1}/", s.collection_path(&s.shared))).await;
    assert_eq!(versions_of(&one), [v3]);
    assert!(one.header("x-taxii-date-added-first").is_some());
    let one_all = s
        .get(
            "alice",
            &format!("{}objects/{i1}/?match[version]=all&limit=2", s.collection_path(&s.shared)),
        )
        .await;
    assert_eq!(versions_of(&one_all), [v1, v2]);
    assert_eq!(one_all.body["more"], true);
    let rest = s
        .get(
            "alice",
            &format!(
                "{}objects/{i1}/?match[version]=all&limit=2&next={}",
                s.collection_path(&s.shared),
                one_all.body["next"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(versions_of(&rest), [v3]);
    let missing = format!("indicator--{}", uuid(99));
    s.get("alice", &format!("{}objects/{missing}/", s.collection_path(&s.shared)))
        .await
        .assert_error(404);
    // Filtered to nothing, but the object exists: an empty envelope.
    let empty = s
        .get(
            "alice",
            &format!("{}objects/{i1}/?added_after={last_added}", s.collection_path(&s.shared)),
        )
        .await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.get("objects").is_none());

    // Versions, in date_added order, with paging.
    let versions =
        s.get("alice", &format!("{}objects/{i1}/versions/", s.collection_path(&s.shared))).await;
    assert_eq!(versions.status, 200);
    assert_eq!(versions.body["versions"], json!([v1, v2, v3]));
    assert!(versions.header("x-taxii-date-added-last").is_some());
    let paged = s
        .get("alice", &format!("{}objects/{i1}/versions/?limit=2", s.collection_path(&s.shared)))
        .await;
    assert_eq!(paged.body["versions"], json!([v1, v2]));
    assert_eq!(paged.body["more"], true);
    let spec_versions = s
        .get(
            "alice",
            &format!(
                "{}objects/{i4}/versions/?match[spec_version]=2.0,2.1",
                s.collection_path(&s.shared)
            ),
        )
        .await;
    assert_eq!(spec_versions.body["versions"], json!([v1, v2]));
    s.get("alice", &format!("{}objects/{missing}/versions/", s.collection_path(&s.shared)))
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_pages_hundreds_of_objects_with_equal_date_added_without_gaps() {
    // Every object of a POST gets the same date_added (medallion's behaviour): the cursor's
    // row-id tie-breaker must still page without gaps or duplicates.
    let s =
        start(ServerConfig { date_added: DateAddedPolicy::PerRequest, ..ServerConfig::default() })
            .await;
    let mut expected = Vec::new();
    for batch in 0..3u64 {
        let objects: Vec<Value> = (0..100).map(|i| wallet(batch * 100 + i)).collect();
        expected.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        let st = s.post("alice", &s.shared, &envelope(objects)).await;
        assert_eq!(st.body["success_count"], 100, "{}", st.body);
    }
    let page = s.objects("alice", &s.shared, "limit=7").await;
    assert_eq!(page.header("x-taxii-date-added-first"), page.header("x-taxii-date-added-last"));
    let (ids, pages) = s.page_all("alice", "objects", "limit=7").await;
    assert_eq!(pages, 43);
    assert_eq!(ids, expected, "every object once, in date_added then storage order");
    let (manifest_ids, _) = s.page_all("alice", "manifest", "limit=50").await;
    assert_eq!(manifest_ids, expected);
    // added_after is exclusive even when many objects share the timestamp: after the first
    // batch's date_added, only the two later batches come back.
    let first_date = page.header("x-taxii-date-added-first").unwrap().to_owned();
    let (after, _) =
        s.page_all("alice", "objects", &format!("added_after={first_date}&limit=90")).await;
    assert_eq!(after, expected[100..]);
    // The page size may change between pages; a larger limit than the server's is capped.
    let s2 = start(ServerConfig { max_page_size: 20, ..ServerConfig::default() }).await;
    let st = s2.post("alice", &s2.shared, &envelope((0..45).map(wallet).collect())).await;
    assert_eq!(st.body["success_count"], 45);
    let capped = s2.objects("alice", &s2.shared, "limit=1000").await;
    assert_eq!(capped.ids().len(), 20);
    assert_eq!(capped.body["more"], true);
    let (all, pages) = s2.page_all("alice", "objects", "").await;
    assert_eq!((all.len(), pages), (45, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_object_date_added_lets_added_after_clients_page_without_skipping() {
    let s = start(ServerConfig::default()).await;
    let st = s.post("alice", &s.shared, &envelope((0..30).map(wallet).collect())).await;
    assert_eq!(st.body["success_count"], 30);
    // A client that ignores `next` and pages with added_after = X-TAXII-Date-Added-Last.
    let mut seen = Vec::new();
    let mut query = "limit=4".to_owned();
    loop {
        let page = s.objects("alice", &s.shared, &query).await;
        let ids = page.ids();
        if ids.is_empty() {
            break;
        }
        seen.extend(ids);
        let last = page.header("x-taxii-date-added-last").unwrap();
        query = format!("limit=4&added_after={last}");
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_altered_and_foreign_cursors_are_refused() {
    let s = start(ServerConfig::default()).await;
    s.post("alice", &s.shared, &envelope((0..10).map(wallet).collect())).await;
    let page = s.objects("alice", &s.shared, "limit=3").await;
    let next = page.body["next"].as_str().unwrap().to_owned();
    assert_eq!(s.objects("alice", &s.shared, &format!("limit=3&next={next}")).await.status, 200);
    // Forged: random bytes of the right length; garbage.
    let forged = "A".repeat(next.len());
    s.objects("alice", &s.shared, &format!("next={forged}")).await.assert_error(400);
    s.objects("alice", &s.shared, "next=not-a-cursor!").await.assert_error(400);
    // Altered: one character changed.
    let mut altered = next.clone().into_bytes();
    altered[30] = if altered[30] == b'B' { b'C' } else { b'B' };
    let altered = String::from_utf8(altered).unwrap();
    let a = s.objects("alice", &s.shared, &format!("next={altered}")).await;
    a.assert_error(400);
    assert!(a.body["description"].as_str().unwrap().contains("not valid"));
    // Another user (same organization, even), another filter set, another endpoint.
    let other_user = s.objects("alpha-ro", &s.shared, &format!("next={next}")).await;
    other_user.assert_error(400);
    assert!(other_user.body["description"].as_str().unwrap().contains("another query"));
    s.objects("alice", &s.shared, &format!("match[type]=indicator&next={next}"))
        .await
        .assert_error(400);
    s.get("alice", &format!("{}manifest/?next={next}", s.collection_path(&s.shared)))
        .await
        .assert_error(400);
    // Another collection: bob's cursor on `secret` is refused on `shared`.
    s.post("bob", &s.secret, &envelope((20..30).map(wallet).collect())).await;
    let secret_page = s.objects("bob", &s.secret, "limit=3").await;
    let secret_next = secret_page.body["next"].as_str().unwrap();
    s.objects("bob", &s.shared, &format!("limit=3&next={secret_next}")).await.assert_error(400);
    // And a cursor survives a restart of the server on the same store (the key is stored).
    let state = AppState::new(ServerConfig::default(), {
        let path = s.dir.path().to_owned();
        move || SqliteStore::open(&path)
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve_with_shutdown(listener, state, std::future::pending()));
    let again = s
        .send(
            s.http
                .get(format!("{base}{}objects/?limit=3&next={next}", s.collection_path(&s.shared)))
                .header("Accept", TAXII)
                .bearer_auth(&s.tokens["alice"]),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.ids().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rights_are_enforced_per_collection_organization_and_user() {
    let s = start(ServerConfig::default()).await;
    let one = envelope(vec![wallet(1)]);
    // Read-only user of a read-write organization; read-only organization.
    s.post("alpha-ro", &s.shared, &one).await.assert_error(403);
    s.post("carol", &s.shared, &one).await.assert_error(403);
    assert_eq!(s.objects("carol", &s.shared, "").await.status, 200);
    // Write-only collection: POST works, reading is 403.
    assert_eq!(s.post("alice", &s.writeonly, &one).await.status, 202);
    s.objects("alice", &s.writeonly, "").await.assert_error(403);
    s.get("alice", &format!("{}manifest/", s.collection_path(&s.writeonly)))
        .await
        .assert_error(403);
    // No rights at all: the collection does not exist for the caller, for every endpoint.
    for path in ["", "objects/", "manifest/"] {
        s.get("dave", &format!("{}{path}", s.collection_path(&s.shared))).await.assert_error(404);
        s.get("alice", &format!("{}{path}", s.collection_path(&s.secret))).await.assert_error(404);
    }
    s.post("alice", &s.secret, &one).await.assert_error(404);
    s.post("dave", &s.shared, &one).await.assert_error(404);
    // Delete needs read and write: read-only → 403; write-only → 403; none → 404.
    assert_eq!(s.post("alice", &s.shared, &one).await.status, 202);
    let w1 = format!("cryptocurrency-wallet--{}", uuid(1));
    let del = |user: &'static str, collection: String| {
        let path = format!("{}objects/{w1}/", s.collection_path(&collection));
        s.send(s.request(reqwest::Method::DELETE, user, &path))
    };
    del("carol", s.shared.clone()).await.assert_error(403);
    del("alpha-ro", s.shared.clone()).await.assert_error(403);
    del("alice", s.writeonly.clone()).await.assert_error(403);
    del("dave", s.shared.clone()).await.assert_error(404);
    // Only the organization that added an object may delete it.
    let refused = del("bob", s.shared.clone()).await;
    refused.assert_error(403);
    assert!(refused.body["description"].as_str().unwrap().contains("another organization"));
    assert_eq!(del("alice", s.shared.clone()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tlp_is_enforced_before_paging() {
    let s = start(ServerConfig::default()).await;
    let v = "2026-11-20T09:00:00.000Z";
    let red_to_bravo = indicator(1, v, &[RED]);
    let red_private = indicator(2, v, &[RED]);
    let amber = indicator(3, v, &[AMBER]);
    let strict = indicator(4, v, &[AMBER_STRICT]);
    let green = indicator(5, v, &[GREEN]);
    let clear = indicator(6, v, &[CLEAR]);
    let unmarked = wallet(7);
    // TLP 1.0 RED counts as RED; granular markings count too.
    let red_v1 = indicator(8, v, &["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]);
    let mut granular_red = indicator(9, v, &[GREEN]);
    granular_red["granular_markings"] = json!([{ "marking_ref": RED, "selectors": ["pattern"] }]);
    let st = s
        .post(
            "alice",
            &s.shared,
            &json!({
                "objects": [red_to_bravo],
                "x_chainward_red_recipients": ["bravo"],
            }),
        )
        .await;
    assert_eq!(st.body["success_count"], 1, "{}", st.body);
    let st = s
        .post(
            "alice",
            &s.shared,
            &envelope(vec![
                red_private,
                amber,
                strict,
                green,
                clear,
                unmarked,
                red_v1,
                granular_red,
            ]),
        )
        .await;
    assert_eq!(st.body["success_count"], 8, "{}", st.body);
    let id = |n: u64| format!("indicator--{}", uuid(n));
    let names = |a: &Answer| -> BTreeSet<String> { a.ids().into_iter().collect() };
    let set = |ns: &[u64]| -> BTreeSet<String> {
        ns.iter()
            .map(|n| if *n == 7 { format!("cryptocurrency-wallet--{}", uuid(7)) } else { id(*n) })
            .collect()
    };
    // alpha posted everything and sees everything.
    assert_eq!(names(&s.objects("alice", &s.shared, "").await), set(&[1, 2, 3, 4, 5, 6, 7, 8, 9]));
    // bravo: a named RED recipient, shares AMBER; not AMBER+STRICT, not the other REDs.
    assert_eq!(names(&s.objects("bob", &s.shared, "").await), set(&[1, 3, 5, 6, 7]));
    // charlie: a reader without AMBER: GREEN, CLEAR and unmarked only.
    let carol = s.objects("carol", &s.shared, "").await;
    assert_eq!(names(&carol), set(&[5, 6, 7]));
    // Counts and `more` do not leak hidden objects: exactly three pages of one, the last
    // without `more`; the manifest agrees.
    let (ids, pages) = s.page_all("carol", "objects", "limit=1").await;
    assert_eq!((ids.len(), pages), (3, 3));
    let exact = s.objects("carol", &s.shared, "limit=3").await;
    assert_eq!((exact.ids().len(), exact.body["more"].clone()), (3, json!(false)));
    let (manifest, _) = s.page_all("carol", "manifest", "limit=2").await;
    assert_eq!(manifest.len(), 3);
    // Date headers describe only what was returned.
    assert_eq!(
        exact.header("x-taxii-date-added-first"),
        s.objects("carol", &s.shared, "limit=1").await.header("x-taxii-date-added-first")
    );
    // Hidden objects are 404 by id, in versions, and through match[id].
    for n in [1, 2, 3, 4, 8, 9] {
        s.get("carol", &format!("{}objects/{}/", s.collection_path(&s.shared), id(n)))
            .await
            .assert_error(404);
        s.get("carol", &format!("{}objects/{}/versions/", s.collection_path(&s.shared), id(n)))
            .await
            .assert_error(404);
        assert!(
            s.objects("carol", &s.shared, &format!("match[id]={}", id(n)))
                .await
                .body
                .get("objects")
                .is_none()
        );
    }
    assert_eq!(
        s.get("bob", &format!("{}objects/{}/", s.collection_path(&s.shared), id(1))).await.status,
        200
    );
    s.get("bob", &format!("{}objects/{}/", s.collection_path(&s.shared), id(4)))
        .await
        .assert_error(404);
    // A hidden newer version leaves the visible older one as "last" for those who cannot see it.
    let newer = indicator(5, "2026-11-21T09:00:00.000Z", &[RED]);
    assert_eq!(s.post("alice", &s.shared, &envelope(vec![newer])).await.body["success_count"], 1);
    let carol_last =
        s.get("carol", &format!("{}objects/{}/", s.collection_path(&s.shared), id(5))).await;
    assert_eq!(carol_last.body["objects"][0]["modified"], v);
    let alice_last =
        s.get("alice", &format!("{}objects/{}/", s.collection_path(&s.shared), id(5))).await;
    assert_eq!(alice_last.body["objects"][0]["modified"], "2026-11-21T09:00:00.000Z");
    let carol_versions = s
        .get("carol", &format!("{}objects/{}/versions/", s.collection_path(&s.shared), id(5)))
        .await;
    assert_eq!(carol_versions.body["versions"], json!([v]));
    // An unknown recipient organization refuses the whole envelope.
    let bad = s
        .post("alice", &s.shared, &json!({"objects": [indicator(20, v, &[RED])], "x_chainward_red_recipients": ["nobody"]}))
        .await;
    bad.assert_error(400);
    s.get("alice", &format!("{}objects/{}/", s.collection_path(&s.shared), id(20)))
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_stores_valid_objects_atomically_and_reports_status() {
    let s = start(ServerConfig::default()).await;
    let v = "2026-11-20T09:00:00.000Z";
    let mut bad_id = indicator(2, v, &[]);
    bad_id["id"] = json!("indicator--not-a-uuid");
    let st = s
        .post(
            "alice",
            &s.shared,
            &envelope(vec![
                indicator(1, v, &[]),
                bad_id,
                wallet(3),
                json!("a string"),
                indicator(4, v, &[]),
            ]),
        )
        .await;
    assert_eq!(st.status, 202, "{}", st.body);
    assert_eq!(st.header("content-type"), Some(TAXII));
    assert_eq!(st.body["status"], "complete");
    assert_eq!(
        (st.body["total_count"].clone(), st.body["success_count"].clone()),
        (json!(5), json!(3))
    );
    assert_eq!(
        (st.body["failure_count"].clone(), st.body["pending_count"].clone()),
        (json!(2), json!(0))
    );
    let failures = st.body["failures"].as_array().unwrap();
    assert_eq!(failures[0]["id"], "indicator--not-a-uuid");
    assert!(failures[0]["message"].as_str().unwrap().contains("not indicator--<uuid>"));
    assert!(failures[1]["message"].as_str().unwrap().contains("not a JSON object"));
    assert!(st.body.get("pendings").is_none(), "empty lists are left out");
    assert_eq!(s.objects("alice", &s.shared, "").await.ids().len(), 3);
    // The status resource is kept and readable by the poster's organization only.
    let status_path = format!("/aml1/status/{}/", st.body["id"].as_str().unwrap());
    let got = s.get("alpha-ro", &status_path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, st.body);
    s.get("bob", &status_path).await.assert_error(404);
    s.get("alice", &format!("/aml1/status/{}/", uuid(5))).await.assert_error(404);
    // An exact duplicate is a success; the same id and version with other content a failure.
    let mut changed = indicator(1, v, &[]);
    changed["name"] = json!("changed without a new version");
    let again =
        s.post("alice", &s.shared, &envelope(vec![indicator(1, v, &[]), wallet(3), changed])).await;
    assert_eq!(
        (again.body["success_count"].clone(), again.body["failure_count"].clone()),
        (json!(2), json!(1))
    );
    assert!(again.body["failures"][0]["message"].as_str().unwrap().contains("new version"));
    assert_eq!(s.objects("alice", &s.shared, "match[version]=all").await.ids().len(), 3);
    // Malformed envelopes store nothing.
    let path = format!("{}{}objects/", s.base, s.collection_path(&s.shared));
    for body in [
        "{\"objects\": [".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        "{\"objects\": {}}".to_owned(),
        "{\"objects\": []}".to_owned(),
        format!("{{\"objects\": [{}], \"x_chainward_red_recipients\": \"bravo\"}}", wallet(50)),
    ] {
        let a = s
            .send(
                s.http
                    .post(&path)
                    .header("Accept", TAXII)
                    .header("Content-Type", TAXII)
                    .bearer_auth(&s.tokens["alice"])
                    .body(body.clone()),
            )
            .await;
        a.assert_error(400);
    }
    assert_eq!(s.objects("alice", &s.shared, "match[version]=all").await.ids().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_expire_after_the_retention_and_their_objects_stay() {
    const HOUR_US: i64 = 3_600_000_000;
    let config = ServerConfig { status_retention_hours: 48, ..ServerConfig::default() };
    let s = start(config).await;
    let before_post = jiff::Timestamp::now().as_microsecond();
    let st = s.post("alice", &s.shared, &envelope(vec![wallet(1), wallet(2)])).await;
    assert_eq!(st.status, 202, "{}", st.body);
    let status_path = format!("/aml1/status/{}/", st.body["id"].as_str().unwrap());
    // 47 hours on, the status is within the retention.
    assert_eq!(s.state.prune_statuses(before_post + 47 * HOUR_US).await.unwrap(), 0);
    assert_eq!(s.get("alice", &status_path).await.status, 200);
    // 50 hours on (the request came a moment after `before_post`), it is gone.
    assert_eq!(s.state.prune_statuses(before_post + 50 * HOUR_US).await.unwrap(), 1);
    s.get("alice", &status_path).await.assert_error(404);
    assert_eq!(s.objects("alice", &s.shared, "").await.ids().len(), 2, "objects stay");
    // 0 keeps statuses forever.
    let keep = start(ServerConfig { status_retention_hours: 0, ..ServerConfig::default() }).await;
    let st = keep.post("alice", &keep.shared, &envelope(vec![wallet(3)])).await;
    let path = format!("/aml1/status/{}/", st.body["id"].as_str().unwrap());
    assert_eq!(keep.state.prune_statuses(before_post + 10_000 * HOUR_US).await.unwrap(), 0);
    assert_eq!(keep.get("alice", &path).await.status, 200);
    // Under TAXII's 24 hours is refused, naming the setting.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let config = ServerConfig { status_retention_hours: 12, ..ServerConfig::default() };
    let err = AppState::new(config, move || SqliteStore::open(&path)).unwrap_err();
    assert!(err.to_string().contains("status_retention_hours"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_versions_from_objects_manifest_and_versions() {
    let s = start(ServerConfig::default()).await;
    let (v1, v2, v3) =
        ("2026-11-20T09:00:00.000Z", "2026-11-21T09:00:00.000Z", "2026-11-22T09:00:00.000Z");
    s.post(
        "alice",
        &s.shared,
        &envelope(vec![
            indicator(1, v1, &[]),
            indicator(1, v2, &[]),
            indicator(1, v3, &[]),
            wallet(2),
        ]),
    )
    .await;
    let i1 = format!("indicator--{}", uuid(1));
    let object = format!("{}objects/{i1}/", s.collection_path(&s.shared));
    let delete = |query: &str| {
        s.send(s.request(reqwest::Method::DELETE, "alice", &format!("{object}{query}")))
    };
    // Delete the first version only.
    let first = delete("?match[version]=first").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let versions = s.get("alice", &format!("{object}versions/")).await;
    assert_eq!(versions.body["versions"], json!([v2, v3]));
    // A version that does not exist.
    delete("?match[version]=2020-01-01T00:00:00Z").await.assert_error(404);
    delete("?match[version]=bogus").await.assert_error(400);
    // Delete every remaining version: GET is 404, the manifest no longer lists it.
    assert_eq!(delete("").await.status, 200);
    s.get("alice", &object).await.assert_error(404);
    s.get("alice", &format!("{object}versions/")).await.assert_error(404);
    let manifest = s
        .get("alice", &format!("{}manifest/?match[version]=all", s.collection_path(&s.shared)))
        .await;
    assert_eq!(manifest.ids(), [format!("cryptocurrency-wallet--{}", uuid(2))]);
    delete("").await.assert_error(404);
}

/// Pages 10,000 objects with limit=1000 and prints the time; run with
/// `cargo test --release -p chainward-taxii-server --test it -- --ignored --nocapture paging_speed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run in release"]
async fn paging_speed_10000_objects() {
    let s = start(ServerConfig { max_page_size: 1000, ..ServerConfig::default() }).await;
    // The fixture root takes 64 KiB; 1,000 indicators are about 400 KB: a root for bulk.
    let mut store = SqliteStore::open(s.dir.path()).unwrap();
    admin::create_api_root(&mut store, "bulk", "bulk", None, 100 << 20).unwrap();
    let c = admin::create_collection(&mut store, "bulk", "bulk", None, Some("bulk")).unwrap();
    admin::grant(
        &mut store,
        "bulk",
        "bulk",
        "alpha",
        Rights { read: true, write: true, amber: true },
    )
    .unwrap();
    drop(store);
    let post_started = std::time::Instant::now();
    for batch in 0..10u64 {
        let objects: Vec<Value> = (0..1000)
            .map(|i| indicator(batch * 1000 + i, "2026-11-20T09:00:00.000Z", &[GREEN]))
            .collect();
        let a = s
            .send(
                s.request(
                    reqwest::Method::POST,
                    "alice",
                    &format!("/bulk/collections/{}/objects/", c.uuid),
                )
                .header("Content-Type", TAXII)
                .body(envelope(objects).to_string()),
            )
            .await;
        assert_eq!(a.body["success_count"], 1000);
    }
    let posted = post_started.elapsed();
    for (round, limit) in [1000, 1000, 1000, 100].into_iter().enumerate() {
        let started = std::time::Instant::now();
        let mut next: Option<String> = None;
        let mut total = 0;
        let mut pages = 0;
        loop {
            let mut path = format!("/bulk/collections/{}/objects/?limit={limit}", c.uuid);
            if let Some(n) = &next {
                path.push_str(&format!("&next={n}"));
            }
            let page = s.get("alice", &path).await;
            total += page.ids().len();
            pages += 1;
            match page.body["next"].as_str() {
                Some(n) => next = Some(n.to_owned()),
                None => break,
            }
        }
        assert_eq!(total, 10_000);
        println!(
            "round {round}: paged {total} objects with limit={limit} in {pages} pages in {:.3} s \
             (posted in {:.3} s)",
            started.elapsed().as_secs_f64(),
            posted.as_secs_f64()
        );
    }
}
