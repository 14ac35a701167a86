//! [`TaxiiStore`] on SQLite: the TAXII server's API roots, collections, object versions,
//! organizations, users, tokens, rights and status resources (format 4, `docs/schema.md`).
//!
//! Visibility (rights are checked by the server; TLP here) is part of every object query's
//! `WHERE`, so pages, `more` and "first"/"last" are computed over what the viewer may see, and
//! a page is an index range scan on `(collection_id, date_added, id)` from the cursor.

use crate::{SqliteStore, backend};
use chainward_store_api::{
    AddItem, AddRequest, ApiRootRow, CollectionRow, DateAddedPolicy, DeleteOutcome, DeleteRequest,
    NewApiRoot, NewCollection, NewUser, ObjectPage, ObjectQuery, ObjectRow, OrganizationRow,
    Position, Rights, StatusEntry, StatusRow, StoreError, TaxiiStore, UserRow, VersionSelector,
    Viewer,
};
use rusqlite::types::Value;
use rusqlite::{ErrorCode, OptionalExtension, params, params_from_iter};

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Rejected(format!("{what} {value} is too large")))
}

/// Maps a UNIQUE or FOREIGN KEY violation to [`StoreError::Rejected`] with `what`.
fn constraint(path: &std::path::Path, what: &str) -> impl Fn(rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    let what = what.to_owned();
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Rejected(what.clone()),
        _ => backend(&path, e),
    }
}

/// Formats microseconds since the epoch as a TAXII timestamp (`…T…​.ssssssZ`).
fn timestamp_us(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const SELECT_USER: &str = "SELECT u.id, u.name, u.org_id, o.name, u.password_hash, u.can_write, \
     u.disabled FROM taxii_users u JOIN taxii_organizations o ON o.id = u.org_id";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        name: row.get(1)?,
        org_id: row.get(2)?,
        org_name: row.get(3)?,
        password_hash: row.get(4)?,
        can_write: row.get(5)?,
        disabled: row.get(6)?,
    })
}

fn api_root_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiRootRow> {
    Ok(ApiRootRow {
        id: row.get(0)?,
        name: row.get(1)?,
        title: row.get(2)?,
        description: row.get(3)?,
        max_content_length: row.get::<_, i64>(4)?.max(0) as u64,
    })
}

fn collection_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CollectionRow> {
    Ok(CollectionRow {
        id: row.get(0)?,
        api_root_id: row.get(1)?,
        uuid: row.get(2)?,
        title: row.get(3)?,
        description: row.get(4)?,
        alias: row.get(5)?,
    })
}

/// Which spec versions a query considers.
enum SpecFilter<'a> {
    /// Each object's latest spec version among the versions the viewer may see.
    Latest,
    /// Any.
    Any,
    /// These.
    List(&'a [String]),
}

/// The object filter shared by queries and deletes. Parameters `?1` (collection), `?2`
/// (viewer's organization) and `?3` (AMBER shared) are bound first.
struct Filter<'a> {
    collection_id: i64,
    viewer: Viewer,
    ids: &'a [String],
    types: &'a [String],
    versions: &'a [VersionSelector],
    default_version: VersionSelector,
    spec: SpecFilter<'a>,
    added_after_us: Option<i64>,
    after: Option<Position>,
}

/// TLP visibility of the row `a` for the viewer (`?2`, `?3`).
fn visible(a: &str) -> String {
    format!(
        "({a}.tlp <= 2 OR ({a}.tlp = 3 AND (?3 OR {a}.poster_org_id = ?2)) \
         OR ({a}.tlp = 4 AND {a}.poster_org_id = ?2) \
         OR ({a}.tlp = 5 AND ({a}.poster_org_id = ?2 OR EXISTS (SELECT 1 FROM \
         taxii_red_recipients r WHERE r.object_id = {a}.id AND r.org_id = ?2))))"
    )
}

fn placeholders(params: &mut Vec<Value>, values: impl IntoIterator<Item = Value>) -> String {
    let mut out = Vec::new();
    for value in values {
        params.push(value);
        out.push(format!("?{}", params.len()));
    }
    out.join(", ")
}

impl Filter<'_> {
    /// The `WHERE` clause over `taxii_objects o`, and its parameters.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut params = vec![
            Value::Integer(self.collection_id),
            Value::Integer(self.viewer.org_id),
            Value::Integer(i64::from(self.viewer.amber)),
        ];
        let mut clauses = vec!["o.collection_id = ?1".to_owned(), visible("o")];
        if let Some(after) = self.after {
            params.push(Value::Integer(after.date_added_us));
            let d = params.len();
            params.push(Value::Integer(after.row_id));
            let r = params.len();
            clauses.push(format!("o.date_added >= ?{d} AND (o.date_added > ?{d} OR o.id > ?{r})"));
        }
        if let Some(added_after) = self.added_after_us {
            params.push(Value::Integer(added_after));
            clauses.push(format!("o.date_added > ?{}", params.len()));
        }
        if !self.ids.is_empty() {
            let list = placeholders(&mut params, self.ids.iter().map(|s| Value::Text(s.clone())));
            clauses.push(format!("o.stix_id IN ({list})"));
        }
        if !self.types.is_empty() {
            let list = placeholders(&mut params, self.types.iter().map(|s| Value::Text(s.clone())));
            clauses.push(format!("o.type IN ({list})"));
        }
        // The spec-version condition on `o`, and the one a competing version `x` must meet to
        // count for "first"/"last".
        let spec_x = match &self.spec {
            SpecFilter::Any => "1".to_owned(),
            SpecFilter::Latest => {
                clauses.push(format!(
                    "NOT EXISTS (SELECT 1 FROM taxii_objects x WHERE x.collection_id = ?1 \
                     AND x.stix_id = o.stix_id AND x.spec_version > o.spec_version AND {})",
                    visible("x")
                ));
                "x.spec_version = o.spec_version".to_owned()
            }
            SpecFilter::List(list) => {
                let list = placeholders(&mut params, list.iter().map(|s| Value::Text(s.clone())));
                clauses.push(format!("o.spec_version IN ({list})"));
                format!("x.spec_version IN ({list})")
            }
        };
        let selectors: &[VersionSelector] =
            if self.versions.is_empty() { &[self.default_version] } else { self.versions };
        if !selectors.contains(&VersionSelector::All) {
            let mut any = Vec::new();
            for selector in selectors {
                let extreme = |cmp: &str| {
                    format!(
                        "NOT EXISTS (SELECT 1 FROM taxii_objects x WHERE x.collection_id = ?1 \
                         AND x.stix_id = o.stix_id AND x.version_us {cmp} o.version_us \
                         AND {spec_x} AND {})",
                        visible("x")
                    )
                };
                match selector {
                    VersionSelector::Last => any.push(extreme(">")),
                    VersionSelector::First => any.push(extreme("<")),
                    VersionSelector::At(us) => {
                        params.push(Value::Integer(*us));
                        any.push(format!("o.version_us = ?{}", params.len()));
                    }
                    VersionSelector::All => {}
                }
            }
            clauses.push(format!("({})", any.join(" OR ")));
        }
        (clauses.join(" AND "), params)
    }
}

fn status_entries(text: &str, what: &str) -> Result<Vec<StatusEntry>, StoreError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("taxii_status.{what}: {e}")))?;
    let items = value
        .as_array()
        .ok_or_else(|| StoreError::Corrupt(format!("taxii_status.{what}: not an array")))?;
    let field = |item: &serde_json::Value, name: &str| {
        item.get(name).and_then(|v| v.as_str()).map(str::to_owned)
    };
    Ok(items
        .iter()
        .map(|item| StatusEntry {
            id: field(item, "id").unwrap_or_default(),
            version: field(item, "version"),
            message: field(item, "message"),
        })
        .collect())
}

fn entries_json(entries: &[StatusEntry]) -> String {
    serde_json::to_string(entries).expect("status entries serialize")
}

impl TaxiiStore for SqliteStore {
    fn taxii_create_api_root(&mut self, root: &NewApiRoot) -> Result<ApiRootRow, StoreError> {
        let max = to_i64(root.max_content_length, "max_content_length")?;
        self.conn
            .execute(
                "INSERT INTO taxii_api_roots (name, title, description, max_content_length) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![root.name, root.title, root.description, max],
            )
            .map_err(constraint(
                &self.path,
                &format!("an API root named '{}' already exists", root.name),
            ))?;
        Ok(ApiRootRow {
            id: self.conn.last_insert_rowid(),
            name: root.name.clone(),
            title: root.title.clone(),
            description: root.description.clone(),
            max_content_length: root.max_content_length,
        })
    }

    fn taxii_api_roots(&self) -> Result<Vec<ApiRootRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, title, description, max_content_length FROM taxii_api_roots \
                 ORDER BY name",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = stmt
            .query_map([], api_root_from_row)
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        Ok(rows)
    }

    fn taxii_create_collection(
        &mut self,
        collection: &NewCollection,
    ) -> Result<CollectionRow, StoreError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO taxii_collections (api_root_id, uuid, title, description, \
                     alias, created_at) VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
                ),
                params![
                    collection.api_root_id,
                    collection.uuid,
                    collection.title,
                    collection.description,
                    collection.alias
                ],
            )
            .map_err(constraint(
                &self.path,
                &format!(
                    "collection {} (alias {:?}) conflicts with an existing one, or its API root \
                     is unknown",
                    collection.uuid, collection.alias
                ),
            ))?;
        Ok(CollectionRow {
            id: self.conn.last_insert_rowid(),
            api_root_id: collection.api_root_id,
            uuid: collection.uuid.clone(),
            title: collection.title.clone(),
            description: collection.description.clone(),
            alias: collection.alias.clone(),
        })
    }

    fn taxii_collections(&self, api_root_id: i64) -> Result<Vec<CollectionRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, api_root_id, uuid, title, description, alias FROM taxii_collections \
                 WHERE api_root_id = ?1 ORDER BY id",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = stmt
            .query_map([api_root_id], collection_from_row)
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        Ok(rows)
    }

    fn taxii_create_organization(&mut self, name: &str) -> Result<OrganizationRow, StoreError> {
        self.conn
            .execute(
                &format!("INSERT INTO taxii_organizations (name, created_at) VALUES (?1, {NOW})"),
                [name],
            )
            .map_err(constraint(
                &self.path,
                &format!("an organization named '{name}' already exists"),
            ))?;
        Ok(OrganizationRow { id: self.conn.last_insert_rowid(), name: name.to_owned() })
    }

    fn taxii_organizations(&self) -> Result<Vec<OrganizationRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name FROM taxii_organizations ORDER BY name")
            .map_err(|e| backend(&self.path, e))?;
        let rows = stmt
            .query_map([], |row| Ok(OrganizationRow { id: row.get(0)?, name: row.get(1)? }))
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        Ok(rows)
    }

    fn taxii_create_user(&mut self, user: &NewUser) -> Result<UserRow, StoreError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO taxii_users (name, org_id, password_hash, can_write, created_at) \
                     VALUES (?1, ?2, ?3, ?4, {NOW})"
                ),
                params![user.name, user.org_id, user.password_hash, user.can_write],
            )
            .map_err(constraint(
                &self.path,
                &format!(
                    "a user named '{}' already exists, or organization {} is unknown",
                    user.name, user.org_id
                ),
            ))?;
        let id = self.conn.last_insert_rowid();
        self.conn
            .query_row(&format!("{SELECT_USER} WHERE u.id = ?1"), [id], user_from_row)
            .map_err(|e| backend(&self.path, e))
    }

    fn taxii_users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_USER} ORDER BY u.name"))
            .map_err(|e| backend(&self.path, e))?;
        let rows = stmt
            .query_map([], user_from_row)
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        Ok(rows)
    }

    fn taxii_user_by_name(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_USER} WHERE u.name = ?1"))
            .map_err(|e| backend(&self.path, e))?;
        stmt.query_row([name], user_from_row).optional().map_err(|e| backend(&self.path, e))
    }

    fn taxii_update_user(
        &mut self,
        user_id: i64,
        password_hash: Option<&str>,
        can_write: bool,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE taxii_users SET password_hash = ?2, can_write = ?3, disabled = ?4 \
                 WHERE id = ?1",
                params![user_id, password_hash, can_write, disabled],
            )
            .map_err(|e| backend(&self.path, e))?;
        if changed == 0 {
            return Err(StoreError::Rejected(format!("no user with id {user_id}")));
        }
        Ok(())
    }

    fn taxii_add_token(
        &mut self,
        user_id: i64,
        token_sha256: &[u8; 32],
        label: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO taxii_tokens (user_id, sha256, label, created_at) \
                     VALUES (?1, ?2, ?3, {NOW})"
                ),
                params![user_id, token_sha256.as_slice(), label],
            )
            .map_err(constraint(
                &self.path,
                &format!("unknown user {user_id}, or the token is already stored"),
            ))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn taxii_revoke_tokens(&mut self, user_id: i64) -> Result<u64, StoreError> {
        let n = self
            .conn
            .execute(
                &format!(
                    "UPDATE taxii_tokens SET revoked_at = {NOW} \
                     WHERE user_id = ?1 AND revoked_at IS NULL"
                ),
                [user_id],
            )
            .map_err(|e| backend(&self.path, e))?;
        Ok(n as u64)
    }

    fn taxii_user_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<UserRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_USER} JOIN taxii_tokens t ON t.user_id = u.id \
                 WHERE t.sha256 = ?1 AND t.revoked_at IS NULL"
            ))
            .map_err(|e| backend(&self.path, e))?;
        stmt.query_row([token_sha256.as_slice()], user_from_row)
            .optional()
            .map_err(|e| backend(&self.path, e))
    }

    fn taxii_grant(
        &mut self,
        collection_id: i64,
        org_id: i64,
        rights: Rights,
    ) -> Result<(), StoreError> {
        if rights == Rights::default() {
            self.conn
                .execute(
                    "DELETE FROM taxii_rights WHERE collection_id = ?1 AND org_id = ?2",
                    params![collection_id, org_id],
                )
                .map_err(|e| backend(&self.path, e))?;
            return Ok(());
        }
        self.conn
            .execute(
                "INSERT INTO taxii_rights (collection_id, org_id, can_read, can_write, amber) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org_id, collection_id) DO UPDATE SET \
                 can_read = excluded.can_read, can_write = excluded.can_write, \
                 amber = excluded.amber",
                params![collection_id, org_id, rights.read, rights.write, rights.amber],
            )
            .map_err(constraint(
                &self.path,
                &format!("unknown collection {collection_id} or organization {org_id}"),
            ))?;
        Ok(())
    }

    fn taxii_rights_of(&self, org_id: i64) -> Result<Vec<(i64, Rights)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT collection_id, can_read, can_write, amber FROM taxii_rights \
                 WHERE org_id = ?1 ORDER BY collection_id",
            )
            .map_err(|e| backend(&self.path, e))?;
        let rows = stmt
            .query_map([org_id], |row| {
                Ok((
                    row.get(0)?,
                    Rights { read: row.get(1)?, write: row.get(2)?, amber: row.get(3)? },
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        Ok(rows)
    }

    fn taxii_server_key(&mut self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO taxii_settings (name, value) VALUES ('cursor_key', ?1)",
                [candidate.as_slice()],
            )
            .map_err(|e| backend(&self.path, e))?;
        let key: Vec<u8> = self
            .conn
            .query_row("SELECT value FROM taxii_settings WHERE name = 'cursor_key'", [], |row| {
                row.get(0)
            })
            .map_err(|e| backend(&self.path, e))?;
        key.try_into().map_err(|_| StoreError::Corrupt("taxii_settings.cursor_key".into()))
    }

    fn taxii_setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT value FROM taxii_settings WHERE name = ?1", [name], |row| row.get(0))
            .optional()
            .map_err(|e| backend(&self.path, e))
    }

    fn taxii_set_setting(&mut self, name: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
        let result = match value {
            Some(value) => self.conn.execute(
                "INSERT INTO taxii_settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            ),
            None => self.conn.execute("DELETE FROM taxii_settings WHERE name = ?1", [name]),
        };
        result.map(|_| ()).map_err(|e| backend(&self.path, e))
    }

    fn taxii_settings_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT name, value FROM taxii_settings WHERE substr(name, 1, length(?1)) = ?1 \
                 ORDER BY name",
            )
            .map_err(|e| backend(&self.path, e))?;
        statement
            .query_map([prefix], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))
    }

    fn taxii_add_objects(&mut self, request: &AddRequest) -> Result<StatusRow, StoreError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| backend(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut successes = Vec::new();
        let mut failures = Vec::new();
        {
            let latest: Option<i64> = tx
                .query_row(
                    "SELECT max(date_added) FROM taxii_objects WHERE collection_id = ?1",
                    [request.collection_id],
                    |row| row.get(0),
                )
                .map_err(err)?;
            let mut date_added = latest.map_or(request.now_us, |l| request.now_us.max(l + 1));
            let mut same_version = tx
                .prepare_cached(
                    "SELECT content FROM taxii_objects WHERE collection_id = ?1 AND stix_id = ?2 \
                     AND version_us = ?3 AND spec_version = ?4",
                )
                .map_err(err)?;
            let mut same_id = tx
                .prepare_cached(
                    "SELECT content, version FROM taxii_objects \
                     WHERE collection_id = ?1 AND stix_id = ?2",
                )
                .map_err(err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO taxii_objects (collection_id, stix_id, type, spec_version, \
                     version, version_us, date_added, tlp, poster_org_id, poster_user_id, \
                     content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(err)?;
            let mut recipient = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO taxii_red_recipients (object_id, org_id) \
                     VALUES (?1, ?2)",
                )
                .map_err(err)?;
            let same = |stored: &str, new: &serde_json::Value| {
                serde_json::from_str::<serde_json::Value>(stored).is_ok_and(|s| &s == new)
            };
            for item in &request.items {
                let object = match item {
                    AddItem::Object(object) => object,
                    AddItem::Invalid { id, version, message } => {
                        failures.push(StatusEntry {
                            id: id.clone(),
                            version: version.clone(),
                            message: Some(message.clone()),
                        });
                        continue;
                    }
                };
                let parsed: serde_json::Value =
                    serde_json::from_str(&object.content).map_err(|e| {
                        StoreError::Rejected(format!("object {} is not JSON: {e}", object.stix_id))
                    })?;
                // An exact duplicate of a stored version is a success (TAXII 2.1 §5.5).
                let duplicate: Option<String> = match &object.version {
                    Some((text, us)) => {
                        let stored: Option<String> = same_version
                            .query_row(
                                params![
                                    request.collection_id,
                                    object.stix_id,
                                    us,
                                    object.spec_version
                                ],
                                |row| row.get(0),
                            )
                            .optional()
                            .map_err(err)?;
                        match stored {
                            Some(stored) if same(&stored, &parsed) => Some(text.clone()),
                            Some(_) => {
                                failures.push(StatusEntry {
                                    id: object.stix_id.clone(),
                                    version: Some(text.clone()),
                                    message: Some(
                                        "a different object with this id and version is already \
                                         in the collection; publish a new version instead"
                                            .into(),
                                    ),
                                });
                                continue;
                            }
                            None => None,
                        }
                    }
                    None => {
                        let mut rows = same_id
                            .query(params![request.collection_id, object.stix_id])
                            .map_err(err)?;
                        let mut found = None;
                        while let Some(row) = rows.next().map_err(err)? {
                            let stored: String = row.get(0).map_err(err)?;
                            if same(&stored, &parsed) {
                                found = Some(row.get::<_, String>(1).map_err(err)?);
                                break;
                            }
                        }
                        found
                    }
                };
                if let Some(version) = duplicate {
                    successes.push(StatusEntry {
                        id: object.stix_id.clone(),
                        version: Some(version),
                        message: Some("already present".into()),
                    });
                    continue;
                }
                let (version, version_us) = match &object.version {
                    Some((text, us)) => (text.clone(), *us),
                    None => (timestamp_us(date_added), date_added),
                };
                let inserted = insert.execute(params![
                    request.collection_id,
                    object.stix_id,
                    object.stix_type,
                    object.spec_version,
                    version,
                    version_us,
                    date_added,
                    object.tlp.code(),
                    request.org_id,
                    request.user_id,
                    object.content,
                ]);
                match inserted {
                    Ok(_) => {}
                    Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                        failures.push(StatusEntry {
                            id: object.stix_id.clone(),
                            version: Some(version),
                            message: Some(
                                "another object with this id and version is in this request".into(),
                            ),
                        });
                        continue;
                    }
                    Err(e) => return Err(err(e)),
                }
                let row_id = tx.last_insert_rowid();
                for org in &object.red_recipients {
                    recipient.execute(params![row_id, org]).map_err(err)?;
                }
                successes.push(StatusEntry {
                    id: object.stix_id.clone(),
                    version: Some(version),
                    message: None,
                });
                if request.date_added == DateAddedPolicy::PerObject {
                    date_added += 1;
                }
            }
        }
        tx.execute(
            "INSERT INTO taxii_status (id, api_root_id, user_id, org_id, request_timestamp, \
             successes, failures) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                request.status_id,
                request.api_root_id,
                request.user_id,
                request.org_id,
                request.request_timestamp,
                entries_json(&successes),
                entries_json(&failures),
            ],
        )
        .map_err(constraint(&path, &format!("status {} already exists", request.status_id)))?;
        tx.commit().map_err(err)?;
        Ok(StatusRow {
            id: request.status_id.clone(),
            api_root_id: request.api_root_id,
            user_id: request.user_id,
            org_id: request.org_id,
            status: "complete".into(),
            request_timestamp: request.request_timestamp.clone(),
            successes,
            failures,
            pendings: Vec::new(),
        })
    }

    fn taxii_query_objects(&self, query: &ObjectQuery) -> Result<ObjectPage, StoreError> {
        let filter = Filter {
            collection_id: query.collection_id,
            viewer: query.viewer,
            ids: &query.ids,
            types: &query.types,
            versions: &query.versions,
            default_version: VersionSelector::Last,
            spec: if query.spec_versions.is_empty() {
                SpecFilter::Latest
            } else {
                SpecFilter::List(&query.spec_versions)
            },
            added_after_us: query.added_after_us,
            after: query.after,
        };
        let (clause, mut params) = filter.sql();
        let limit = query.limit.max(1);
        params.push(Value::Integer(i64::from(limit) + 1));
        let content = if query.with_content { "o.content" } else { "NULL" };
        let sql = format!(
            "SELECT o.id, o.stix_id, o.date_added, o.version, o.spec_version, {content} \
             FROM taxii_objects o WHERE {clause} ORDER BY o.date_added, o.id LIMIT ?{}",
            params.len()
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| backend(&self.path, e))?;
        let mut rows: Vec<ObjectRow> = stmt
            .query_map(params_from_iter(params), |row| {
                Ok(ObjectRow {
                    row_id: row.get(0)?,
                    stix_id: row.get(1)?,
                    date_added_us: row.get(2)?,
                    version: row.get(3)?,
                    spec_version: row.get(4)?,
                    content: row.get(5)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| backend(&self.path, e))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok(ObjectPage { rows, more })
    }

    fn taxii_delete_objects(
        &mut self,
        request: &DeleteRequest,
    ) -> Result<DeleteOutcome, StoreError> {
        let ids = [request.stix_id.clone()];
        let filter = Filter {
            collection_id: request.collection_id,
            viewer: request.viewer,
            ids: &ids,
            types: &[],
            versions: &request.versions,
            default_version: VersionSelector::All,
            spec: if request.spec_versions.is_empty() {
                SpecFilter::Any
            } else {
                SpecFilter::List(&request.spec_versions)
            },
            added_after_us: None,
            after: None,
        };
        let (clause, params) = filter.sql();
        let path = self.path.clone();
        let err = |e: rusqlite::Error| backend(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let matches: Vec<(i64, i64)> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT o.id, o.poster_org_id FROM taxii_objects o WHERE {clause}"
                ))
                .map_err(err)?;
            stmt.query_map(params_from_iter(params), |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(err)?
        };
        // All or nothing: versions another organization added are never deleted, and then
        // neither are the caller's.
        let refused = matches.iter().filter(|(_, org)| *org != request.viewer.org_id).count();
        let mut outcome = DeleteOutcome { deleted: 0, refused: refused as u64 };
        if refused == 0 {
            let mut delete =
                tx.prepare_cached("DELETE FROM taxii_objects WHERE id = ?1").map_err(err)?;
            for (id, _) in matches {
                delete.execute([id]).map_err(err)?;
                outcome.deleted += 1;
            }
        }
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    fn taxii_status(&self, api_root_id: i64, id: &str) -> Result<Option<StatusRow>, StoreError> {
        let row: Option<(i64, i64, String, String, String)> = self
            .conn
            .query_row(
                "SELECT user_id, org_id, request_timestamp, successes, failures FROM taxii_status \
                 WHERE id = ?1 AND api_root_id = ?2",
                params![id, api_root_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
            )
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        row.map(|(user_id, org_id, request_timestamp, successes, failures)| {
            Ok(StatusRow {
                id: id.to_owned(),
                api_root_id,
                user_id,
                org_id,
                status: "complete".into(),
                request_timestamp,
                successes: status_entries(&successes, "successes")?,
                failures: status_entries(&failures, "failures")?,
                pendings: Vec::new(),
            })
        })
        .transpose()
    }

    fn taxii_prune_statuses(&mut self, before: &str) -> Result<u64, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM taxii_status WHERE request_timestamp < ?1", [before])
            .map_err(|e| backend(&self.path, e))?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::timestamp_us;
    use crate::SqliteStore;
    use chainward_store_api::{
        AddItem, AddRequest, DateAddedPolicy, NewApiRoot, NewCollection, NewObject, NewUser,
        ObjectQuery, Rights, TaxiiStore, Tlp, Viewer,
    };

    fn object(n: u32, tlp: Tlp) -> AddItem {
        let id = format!("cryptocurrency-wallet--00000000-0000-4000-8000-{n:012}");
        AddItem::Object(NewObject {
            stix_id: id.clone(),
            stix_type: "cryptocurrency-wallet".into(),
            spec_version: "2.1".into(),
            version: None,
            tlp,
            content: format!("{{\"id\":\"{id}\",\"type\":\"cryptocurrency-wallet\"}}"),
            red_recipients: vec![],
        })
    }

    #[test]
    fn equal_date_added_pages_by_row_id_and_hidden_rows_never_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path()).unwrap();
        let root = store
            .taxii_create_api_root(&NewApiRoot {
                name: "r".into(),
                title: "r".into(),
                description: None,
                max_content_length: 1,
            })
            .unwrap();
        let org = store.taxii_create_organization("a").unwrap();
        let other = store.taxii_create_organization("b").unwrap();
        let user = store
            .taxii_create_user(&NewUser {
                name: "u".into(),
                org_id: org.id,
                password_hash: None,
                can_write: true,
            })
            .unwrap();
        let c = store
            .taxii_create_collection(&NewCollection {
                api_root_id: root.id,
                uuid: "c".into(),
                title: "c".into(),
                description: None,
                alias: None,
            })
            .unwrap();
        store.taxii_grant(c.id, org.id, Rights { read: true, write: true, amber: false }).unwrap();
        // 50 objects, every third AMBER+STRICT, all with one date_added.
        let items =
            (0..50).map(|n| object(n, if n % 3 == 0 { Tlp::AmberStrict } else { Tlp::Green }));
        let status = store
            .taxii_add_objects(&AddRequest {
                collection_id: c.id,
                api_root_id: root.id,
                user_id: user.id,
                org_id: org.id,
                status_id: "s".into(),
                request_timestamp: timestamp_us(5),
                now_us: 5,
                date_added: DateAddedPolicy::PerRequest,
                items: items.collect(),
            })
            .unwrap();
        assert_eq!(status.successes.len(), 50);
        let page_all = |viewer: Viewer| {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .taxii_query_objects(&ObjectQuery {
                        collection_id: c.id,
                        viewer,
                        after,
                        added_after_us: None,
                        ids: vec![],
                        types: vec![],
                        versions: vec![],
                        spec_versions: vec![],
                        limit: 7,
                        with_content: false,
                    })
                    .unwrap();
                assert!(page.rows.iter().all(|r| r.date_added_us == 5));
                seen.extend(page.rows.iter().map(|r| r.stix_id.clone()));
                after = page.rows.last().map(|r| r.position());
                if !page.more {
                    return seen;
                }
            }
        };
        let own = page_all(Viewer { org_id: org.id, amber: false });
        assert_eq!(own.len(), 50);
        let mut sorted = own.clone();
        sorted.sort();
        assert_eq!(own, sorted, "row order within one date_added");
        let foreign = page_all(Viewer { org_id: other.id, amber: true });
        assert_eq!(foreign.len(), 33, "AMBER+STRICT rows of another organization are hidden");
        // The page query is an index range scan on (collection_id, date_added, id).
        let plan: Vec<String> = store
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT o.id FROM taxii_objects o WHERE o.collection_id = 1 \
                 AND o.date_added >= 5 AND (o.date_added > 5 OR o.id > 3) \
                 ORDER BY o.date_added, o.id LIMIT 8",
            )
            .unwrap()
            .query_map([], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|p| p.contains("taxii_objects_by_date")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn timestamps_are_taxii_formatted_with_microseconds() {
        assert_eq!(timestamp_us(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(timestamp_us(1_795_683_600_123_456), "2026-11-26T09:00:00.123456Z");
        assert_eq!(timestamp_us(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(timestamp_us(-1), "1969-12-31T23:59:59.999999Z");
    }
}
