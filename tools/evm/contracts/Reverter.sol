// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Sends ETH with an internal call and then reverts, so the call trace shows an internal
/// transfer that did not happen.
///
/// - `sendAndRevert(to)`: the whole transaction reverts (receipt status 0; the internal transfer
///   to `to` sits under the failed top-level call).
/// - `swallow(to)`: succeeds, but calls `sendAndRevert` on itself inside try/catch: the inner
///   frame reverts, so its internal transfer to `to` is undone while msg.value stays here.
contract Reverter {
    function sendAndRevert(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "Reverter: send failed");
        revert("Reverter: always reverts");
    }

    function swallow(address payable to) external payable {
        try this.sendAndRevert{value: msg.value}(to) {
            // unreachable: sendAndRevert always reverts
        } catch {
            // the inner transfer is undone; the value stays in this contract
        }
    }
}
