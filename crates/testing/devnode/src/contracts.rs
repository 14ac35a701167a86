//! The test contracts (`tools/evm/contracts/*.sol`, compiled by `tools/evm/compile.mjs`) and
//! the little ABI encoding the tests need.

use crate::DevNodeError;
use alloy_primitives::{Address, B256, U256, hex, keccak256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A test contract of `tools/evm/contracts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Contract {
    /// ERC-20 (`Token.sol`): constructor `(uint256 supply)` mints the supply to the deployer;
    /// `transfer`, `approve`, `transferFrom`, one event per call.
    Token,
    /// Minimal ERC-721 (`Nft.sol`): the deployer `mint(address,uint256)`s; owners
    /// `transferFrom(address,address,uint256)`.
    Nft,
    /// `Forwarder.sol`: constructor `(address sink)` (payable); `forward(address)`,
    /// `split(address,address)`, and plain ETH goes on to `sink`, all as internal calls.
    Forwarder,
    /// `Reverter.sol`: `sendAndRevert(address)` sends msg.value on and reverts;
    /// `swallow(address)` calls it inside try/catch and succeeds.
    Reverter,
}

impl Contract {
    /// Every test contract.
    pub const ALL: [Self; 4] = [Self::Token, Self::Nft, Self::Forwarder, Self::Reverter];

    /// The contract's name in Solidity and in `contracts.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Token => "Token",
            Self::Nft => "Nft",
            Self::Forwarder => "Forwarder",
            Self::Reverter => "Reverter",
        }
    }
}

/// One argument of a call or constructor: the static ABI types the tests use, each one 32-byte
/// word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Arg {
    /// `address`.
    Address(Address),
    /// `uint256` (and every smaller `uint`).
    Uint(U256),
    /// `bool`.
    Bool(bool),
    /// `bytes32`.
    Bytes32(B256),
}

impl From<Address> for Arg {
    fn from(a: Address) -> Self {
        Self::Address(a)
    }
}

impl From<U256> for Arg {
    fn from(v: U256) -> Self {
        Self::Uint(v)
    }
}

impl From<u64> for Arg {
    fn from(v: u64) -> Self {
        Self::Uint(U256::from(v))
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<B256> for Arg {
    fn from(v: B256) -> Self {
        Self::Bytes32(v)
    }
}

impl Arg {
    /// The argument's ABI word.
    pub fn word(self) -> [u8; 32] {
        match self {
            Self::Address(a) => a.into_word().0,
            Self::Uint(v) => v.to_be_bytes(),
            Self::Bool(b) => U256::from(u8::from(b)).to_be_bytes(),
            Self::Bytes32(b) => b.0,
        }
    }
}

/// The 4-byte selector of a function signature such as `"transfer(address,uint256)"`.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The ABI encoding of static arguments: one word each, in order.
pub fn encode_args(args: &[Arg]) -> Vec<u8> {
    args.iter().flat_map(|a| a.word()).collect()
}

/// Call data: the selector of `signature` followed by the encoded arguments.
///
/// ```
/// use chainward_devnode::{Arg, calldata};
/// use alloy_primitives::{Address, U256};
///
/// let data = calldata("transfer(address,uint256)", &[Address::ZERO.into(), U256::from(5).into()]);
/// assert_eq!(&data[..4], &[0xa9, 0x05, 0x9c, 0xbb]);
/// assert_eq!(data.len(), 4 + 64);
/// assert_eq!(data[67], 5);
/// ```
pub fn calldata(signature: &str, args: &[Arg]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend(encode_args(args));
    data
}

/// The compiled test contracts, from `tools/evm/build/contracts.json`.
#[derive(Clone, Debug)]
pub struct Contracts {
    path: PathBuf,
    bytecode: HashMap<String, Vec<u8>>,
}

impl Contracts {
    /// The default build file: `tools/evm/build/contracts.json` under the workspace root.
    pub fn default_path() -> PathBuf {
        crate::workspace_root().join("tools/evm/build/contracts.json")
    }

    /// Loads [`Contracts::default_path`].
    ///
    /// # Errors
    /// See [`Contracts::load_from`].
    pub fn load() -> Result<Self, DevNodeError> {
        Self::load_from(&Self::default_path())
    }

    /// Loads a `contracts.json` written by `tools/evm/compile.mjs`.
    ///
    /// # Errors
    /// [`DevNodeError::ContractsMissing`] when the file does not exist (run
    /// `bash scripts/setup.sh`), [`DevNodeError::Contracts`] when it is not what `compile.mjs`
    /// writes.
    pub fn load_from(path: &Path) -> Result<Self, DevNodeError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DevNodeError::ContractsMissing { path: path.to_owned() });
            }
            Err(e) => {
                return Err(DevNodeError::Contracts {
                    path: path.to_owned(),
                    reason: e.to_string(),
                });
            }
        };
        let bad = |reason: String| DevNodeError::Contracts { path: path.to_owned(), reason };
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let contracts = json
            .get("contracts")
            .and_then(serde_json::Value::as_object)
            .ok_or_else(|| bad("no `contracts` object".to_owned()))?;
        let mut bytecode = HashMap::new();
        for (name, compiled) in contracts {
            let code = compiled
                .get("bytecode")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| bad(format!("{name} has no `bytecode` string")))?;
            let code = hex::decode(code).map_err(|e| bad(format!("{name}'s bytecode: {e}")))?;
            if code.is_empty() {
                return Err(bad(format!("{name}'s bytecode is empty")));
            }
            bytecode.insert(name.clone(), code);
        }
        Ok(Self { path: path.to_owned(), bytecode })
    }

    /// The creation bytecode of `contract`.
    ///
    /// # Errors
    /// [`DevNodeError::Contracts`] when the build file lacks it (rebuild it with
    /// `node tools/evm/compile.mjs`).
    pub fn bytecode(&self, contract: Contract) -> Result<&[u8], DevNodeError> {
        self.bytecode.get(contract.name()).map(Vec::as_slice).ok_or_else(|| {
            DevNodeError::Contracts {
                path: self.path.clone(),
                reason: format!(
                    "no contract {}; rebuild with `node tools/evm/compile.mjs`",
                    contract.name()
                ),
            }
        })
    }

    /// The init code that deploys `contract` with `ctor_args`.
    ///
    /// # Errors
    /// See [`Contracts::bytecode`].
    pub fn init_code(
        &self,
        contract: Contract,
        ctor_args: &[Arg],
    ) -> Result<Vec<u8>, DevNodeError> {
        let mut code = self.bytecode(contract)?.to_vec();
        code.extend(encode_args(ctor_args));
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn encodes_static_arguments() {
        assert_eq!(selector("Transfer(address,address,uint256)")[..], [0xdd, 0xf2, 0x52, 0xad]);
        assert_eq!(selector("approve(address,uint256)"), [0x09, 0x5e, 0xa7, 0xb3]);
        let a = address!("00000000000000000000000000000000000000aa");
        let words = encode_args(&[a.into(), 7u64.into(), true.into()]);
        assert_eq!(words.len(), 96);
        assert_eq!(words[31], 0xaa);
        assert!(words[..12].iter().all(|b| *b == 0));
        assert_eq!(words[63], 7);
        assert_eq!(words[95], 1);
    }
}
