// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// A minimal ERC-721 for Chainward's integration tests: the deployer mints, owners (or their
/// approved operator) transfer. Every mint and transfer emits one Transfer event with the token
/// id as the third indexed topic, as ERC-721 requires.
contract Nft {
    address public immutable minter;
    mapping(uint256 => address) public ownerOf;
    mapping(address => uint256) public balanceOf;
    mapping(uint256 => address) public getApproved;

    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);

    constructor() {
        minter = msg.sender;
    }

    function mint(address to, uint256 tokenId) external {
        require(msg.sender == minter, "Nft: only the minter mints");
        require(to != address(0), "Nft: mint to zero");
        require(ownerOf[tokenId] == address(0), "Nft: already minted");
        ownerOf[tokenId] = to;
        balanceOf[to] += 1;
        emit Transfer(address(0), to, tokenId);
    }

    function approve(address to, uint256 tokenId) external {
        address owner = ownerOf[tokenId];
        require(msg.sender == owner, "Nft: not the owner");
        getApproved[tokenId] = to;
        emit Approval(owner, to, tokenId);
    }

    /// Clears the approval silently (no Approval event), so one event per transfer.
    function transferFrom(address from, address to, uint256 tokenId) external {
        require(ownerOf[tokenId] == from, "Nft: from is not the owner");
        require(msg.sender == from || msg.sender == getApproved[tokenId], "Nft: not allowed");
        require(to != address(0), "Nft: transfer to zero");
        delete getApproved[tokenId];
        ownerOf[tokenId] = to;
        balanceOf[from] -= 1;
        balanceOf[to] += 1;
        emit Transfer(from, to, tokenId);
    }
}
