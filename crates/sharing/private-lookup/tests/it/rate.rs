//! Rate limiting: each evaluation is one address tested, so partners get a token bucket.

use crate::{evm, setup};
use chainward_private_lookup::{
    BlindedRequest, Error, EvaluatedResponse, ManualClock, RateLimit, RateLimited, RateLimiter,
    SLOTS_PER_LOOKUP, Server,
};
use std::time::Duration;

const N: u32 = 5;

fn limiter(clock: &ManualClock) -> RateLimiter<ManualClock> {
    RateLimiter::with_clock(
        RateLimit { burst: N, refill_every: Duration::from_secs(60) },
        clock.clone(),
    )
}

#[test]
fn n_requests_pass_and_the_next_is_refused_until_the_bucket_refills() {
    let clock = ManualClock::new();
    let mut limiter = limiter(&clock);
    for _ in 0..N {
        limiter.try_acquire("agency-a", 1).unwrap();
    }
    let refused = limiter.try_acquire("agency-a", 1).unwrap_err();
    assert_eq!(
        refused,
        RateLimited { partner: "agency-a".into(), retry_after: Some(Duration::from_secs(60)) }
    );
    // Another partner has its own bucket.
    limiter.try_acquire("agency-b", 1).unwrap();

    clock.advance(Duration::from_secs(59));
    let refused = limiter.try_acquire("agency-a", 1).unwrap_err();
    assert_eq!(refused.retry_after, Some(Duration::from_secs(1)));
    clock.advance(Duration::from_secs(1));
    limiter.try_acquire("agency-a", 1).unwrap();
    assert!(limiter.try_acquire("agency-a", 1).is_err());

    // A long pause refills to the burst, not beyond.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(limiter.available("agency-a"), N);
    for _ in 0..N {
        limiter.try_acquire("agency-a", 1).unwrap();
    }
    assert!(limiter.try_acquire("agency-a", 1).is_err());
}

#[test]
fn a_refused_request_takes_nothing() {
    let clock = ManualClock::new();
    let mut limiter = limiter(&clock);
    limiter.try_acquire("p", 3).unwrap();
    assert!(limiter.try_acquire("p", 3).is_err());
    assert_eq!(limiter.available("p"), 2);
    limiter.try_acquire("p", 2).unwrap();
}

#[test]
fn prune_forgets_partners_whose_bucket_is_full_again() {
    let clock = ManualClock::new();
    let mut limiter = limiter(&clock);
    limiter.try_acquire("busy", N).unwrap();
    limiter.try_acquire("idle", 1).unwrap();
    clock.advance(Duration::from_secs(60));
    assert_eq!(limiter.prune(), 1); // idle is full again, busy is not
    assert_eq!(limiter.available("idle"), N);
    assert_eq!(limiter.available("busy"), 1);
}

#[test]
fn zero_refill_time_means_no_limit() {
    let mut limiter = RateLimiter::new(RateLimit { burst: 0, refill_every: Duration::ZERO });
    for _ in 0..1000 {
        limiter.try_acquire("p", 64).unwrap();
    }
}

/// What the HTTP endpoint does: charge the evaluations, then evaluate.
fn endpoint(
    server: &Server,
    limiter: &mut RateLimiter<ManualClock>,
    partner: &str,
    request: &BlindedRequest,
) -> Result<Result<EvaluatedResponse, Error>, RateLimited> {
    limiter.try_acquire(partner, request.evaluation_count())?;
    Ok(server.evaluate(request))
}

#[test]
fn the_endpoint_allows_n_lookups_then_refuses_until_refilled() {
    let address = evm(1);
    let (server, set, client) = setup(&[&address]);
    let clock = ManualClock::new();
    let lookups = 3;
    let mut limiter = RateLimiter::with_clock(
        RateLimit {
            burst: lookups * SLOTS_PER_LOOKUP as u32,
            refill_every: Duration::from_secs(1),
        },
        clock.clone(),
    );
    for _ in 0..lookups {
        let (request, state) = client.blind(&address).unwrap();
        assert_eq!(request.evaluation_count(), SLOTS_PER_LOOKUP as u32);
        let response = endpoint(&server, &mut limiter, "partner", &request).unwrap().unwrap();
        assert!(client.finalize(state, &response, &set).unwrap());
    }
    let (request, _) = client.blind(&address).unwrap();
    let refused = endpoint(&server, &mut limiter, "partner", &request).unwrap_err();
    assert_eq!(refused.retry_after, Some(Duration::from_secs(SLOTS_PER_LOOKUP as u64)));
    clock.advance(Duration::from_secs(SLOTS_PER_LOOKUP as u64));
    assert!(endpoint(&server, &mut limiter, "partner", &request).unwrap().is_ok());
}
