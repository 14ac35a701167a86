//! The medallion fixture (from chainward-devnode) addressed with this crate's types.

pub(crate) use chainward_devnode::medallion::{Medallion, RO_COLLECTION, RW_COLLECTION};
use chainward_taxii_client::CollectionAddress;

/// A collection of the fixture's API root.
pub(crate) fn collection(medallion: &Medallion, id: &str) -> CollectionAddress {
    CollectionAddress::new(&medallion.api_root(), id).unwrap()
}

/// A loopback port nothing listens on.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
