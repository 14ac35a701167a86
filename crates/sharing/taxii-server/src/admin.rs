//! Administration, for `chainward serve admin …`: API roots, collections, organizations,
//! users, passwords, tokens and rights. Every function works on any [`TaxiiStore`].

use crate::auth::{hash_password, new_token, token_sha256};
use crate::error::ServerError;
use crate::params::is_uuid;
use chainward_store_api::{
    ApiRootRow, CollectionRow, NewApiRoot, NewCollection, NewUser, OrganizationRow, Rights,
    TaxiiStore, UserRow,
};

/// The default `max_content_length` of a new API root: 10 MiB.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 10 * 1024 * 1024;

fn check_name(what: &str, name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(ServerError::Invalid(format!(
            "{what} {name:?} must be 1-100 characters of letters, digits, '-', '_' and '.'"
        )))
    }
}

/// Creates an API root served at `/{name}/`.
///
/// # Errors
/// [`ServerError::Invalid`] for a bad name (not a URL segment, or `taxii2`) or a zero size;
/// store errors (the name is taken).
pub fn create_api_root<S: TaxiiStore + ?Sized>(
    store: &mut S,
    name: &str,
    title: &str,
    description: Option<&str>,
    max_content_length: u64,
) -> Result<ApiRootRow, ServerError> {
    check_name("API root name", name)?;
    if name == "taxii2" {
        return Err(ServerError::Invalid("taxii2 is the discovery path, not an API root".into()));
    }
    if max_content_length == 0 {
        return Err(ServerError::Invalid("max_content_length must be positive".into()));
    }
    Ok(store.taxii_create_api_root(&NewApiRoot {
        name: name.to_owned(),
        title: title.to_owned(),
        description: description.map(str::to_owned),
        max_content_length,
    })?)
}

/// Finds an API root by name.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn api_root<S: TaxiiStore + ?Sized>(store: &S, name: &str) -> Result<ApiRootRow, ServerError> {
    store
        .taxii_api_roots()?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ServerError::NotFound(format!("no API root named {name:?}")))
}

/// Creates a collection with a new random id in an API root.
///
/// # Errors
/// [`ServerError::NotFound`] for an unknown API root; [`ServerError::Invalid`] for a bad alias;
/// store errors (the alias is taken).
pub fn create_collection<S: TaxiiStore + ?Sized>(
    store: &mut S,
    api_root_name: &str,
    title: &str,
    description: Option<&str>,
    alias: Option<&str>,
) -> Result<CollectionRow, ServerError> {
    let root = api_root(store, api_root_name)?;
    if let Some(alias) = alias {
        check_name("collection alias", alias)?;
        if is_uuid(alias) {
            return Err(ServerError::Invalid("a collection alias must not be a UUID".into()));
        }
    }
    Ok(store.taxii_create_collection(&NewCollection {
        api_root_id: root.id,
        uuid: uuid::Uuid::new_v4().to_string(),
        title: title.to_owned(),
        description: description.map(str::to_owned),
        alias: alias.map(str::to_owned),
    })?)
}

/// Finds a collection of an API root by id or alias.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn collection<S: TaxiiStore + ?Sized>(
    store: &S,
    api_root_name: &str,
    id_or_alias: &str,
) -> Result<CollectionRow, ServerError> {
    let root = api_root(store, api_root_name)?;
    store
        .taxii_collections(root.id)?
        .into_iter()
        .find(|c| {
            c.uuid.eq_ignore_ascii_case(id_or_alias) || c.alias.as_deref() == Some(id_or_alias)
        })
        .ok_or_else(|| {
            ServerError::NotFound(format!(
                "no collection {id_or_alias:?} in API root {api_root_name:?}"
            ))
        })
}

/// Creates an organization.
///
/// # Errors
/// [`ServerError::Invalid`] for a bad name; store errors (the name is taken).
pub fn create_organization<S: TaxiiStore + ?Sized>(
    store: &mut S,
    name: &str,
) -> Result<OrganizationRow, ServerError> {
    check_name("organization name", name)?;
    Ok(store.taxii_create_organization(name)?)
}

/// Finds an organization by name.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn organization<S: TaxiiStore + ?Sized>(
    store: &S,
    name: &str,
) -> Result<OrganizationRow, ServerError> {
    store
        .taxii_organizations()?
        .into_iter()
        .find(|o| o.name == name)
        .ok_or_else(|| ServerError::NotFound(format!("no organization named {name:?}")))
}

/// Finds a user by name.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn user<S: TaxiiStore + ?Sized>(store: &S, name: &str) -> Result<UserRow, ServerError> {
    store
        .taxii_user_by_name(name)?
        .ok_or_else(|| ServerError::NotFound(format!("no user named {name:?}")))
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct UserSpec<'a> {
    /// Login name (the HTTP Basic user name).
    pub name: &'a str,
    /// The organization's name.
    pub organization: &'a str,
    /// A password for HTTP Basic (stored as an argon2id PHC string); `None`: tokens only.
    pub password: Option<&'a str>,
    /// Whether the user may write (add and delete objects) where its organization may.
    pub can_write: bool,
}

/// Creates a user and issues its first API token, returned in clear (shown once; only its
/// SHA-256 is stored).
///
/// # Errors
/// [`ServerError::NotFound`] for an unknown organization; [`ServerError::Invalid`] for a bad
/// name or an empty password; store errors (the name is taken).
pub fn create_user<S: TaxiiStore + ?Sized>(
    store: &mut S,
    spec: &UserSpec<'_>,
) -> Result<(UserRow, String), ServerError> {
    check_name("user name", spec.name)?;
    let org = organization(store, spec.organization)?;
    let password_hash = match spec.password {
        Some("") => return Err(ServerError::Invalid("the password is empty".into())),
        Some(password) => Some(hash_password(password)?),
        None => None,
    };
    let user = store.taxii_create_user(&NewUser {
        name: spec.name.to_owned(),
        org_id: org.id,
        password_hash,
        can_write: spec.can_write,
    })?;
    let token = issue_token(store, spec.name, "initial")?;
    Ok((user, token))
}

/// Sets (or, with `None`, removes) a user's HTTP Basic password.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn set_password<S: TaxiiStore + ?Sized>(
    store: &mut S,
    user_name: &str,
    password: Option<&str>,
) -> Result<(), ServerError> {
    let found = user(store, user_name)?;
    let hash = match password {
        Some("") => return Err(ServerError::Invalid("the password is empty".into())),
        Some(password) => Some(hash_password(password)?),
        None => None,
    };
    Ok(store.taxii_update_user(found.id, hash.as_deref(), found.can_write, found.disabled)?)
}

/// Enables or disables a user, and sets whether it may write.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn set_user_flags<S: TaxiiStore + ?Sized>(
    store: &mut S,
    user_name: &str,
    can_write: bool,
    disabled: bool,
) -> Result<(), ServerError> {
    let found = user(store, user_name)?;
    Ok(store.taxii_update_user(found.id, found.password_hash.as_deref(), can_write, disabled)?)
}

/// Issues a new API token for a user, returned in clear (shown once).
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn issue_token<S: TaxiiStore + ?Sized>(
    store: &mut S,
    user_name: &str,
    label: &str,
) -> Result<String, ServerError> {
    let found = user(store, user_name)?;
    let token = new_token();
    store.taxii_add_token(found.id, &token_sha256(&token), label)?;
    Ok(token)
}

/// Revokes every token of a user; returns how many were live.
///
/// # Errors
/// [`ServerError::NotFound`]; store errors.
pub fn revoke_tokens<S: TaxiiStore + ?Sized>(
    store: &mut S,
    user_name: &str,
) -> Result<u64, ServerError> {
    let found = user(store, user_name)?;
    Ok(store.taxii_revoke_tokens(found.id)?)
}

/// Sets an organization's rights on a collection (all false removes them).
///
/// # Errors
/// [`ServerError::NotFound`] for an unknown API root, collection or organization; store errors.
pub fn grant<S: TaxiiStore + ?Sized>(
    store: &mut S,
    api_root_name: &str,
    collection_id_or_alias: &str,
    organization_name: &str,
    rights: Rights,
) -> Result<(), ServerError> {
    let collection = collection(store, api_root_name, collection_id_or_alias)?;
    let org = organization(store, organization_name)?;
    Ok(store.taxii_grant(collection.id, org.id, rights)?)
}
