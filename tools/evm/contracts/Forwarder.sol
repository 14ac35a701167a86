// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Forwards the ETH it is sent with internal calls, so the value moves as internal transfers
/// (visible only in call traces). Emits no events.
///
/// - `forward(to)`: one internal transfer, msg.value to `to` (trace address [0]).
/// - `split(a, b)`: two internal transfers, half to `a` ([0]) and the rest to `b` ([1]); when `b`
///   is another Forwarder, its `receive` forwards onward ([1, 0]), a nested internal transfer.
/// - Plain ETH sent to it (`receive`) goes on to the `sink` fixed at deployment.
/// The constructor is payable: a deployment with value keeps that value.
contract Forwarder {
    address payable public immutable sink;

    constructor(address payable sink_) payable {
        sink = sink_;
    }

    receive() external payable {
        _send(sink, msg.value);
    }

    function forward(address payable to) external payable {
        _send(to, msg.value);
    }

    function split(address payable a, address payable b) external payable {
        uint256 half = msg.value / 2;
        _send(a, half);
        _send(b, msg.value - half);
    }

    function _send(address payable to, uint256 value) private {
        (bool ok, ) = to.call{value: value}("");
        require(ok, "Forwarder: send failed");
    }
}
