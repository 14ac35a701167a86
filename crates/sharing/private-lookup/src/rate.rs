//! Per-partner token buckets: each evaluation a partner asks for is one more address it can
//! test against the list, so the rate of evaluations bounds how fast it could probe the list.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of monotonic time, as a duration since an arbitrary fixed start.
pub trait Clock: Send + Sync {
    /// The time now.
    fn now(&self) -> Duration;
}

/// The real clock: [`Instant`] since the clock was made.
#[derive(Clone, Copy, Debug)]
pub struct MonotonicClock {
    start: Instant,
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self { start: Instant::now() }
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told (tests, simulations). Clones share one time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(now.saturating_add(by)));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// A token-bucket limit: up to `burst` evaluations at once, then one more every
/// `refill_every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// The bucket's capacity, and what a new partner starts with.
    pub burst: u32,
    /// Time to earn one token back. Zero means no limit.
    pub refill_every: Duration,
}

/// A request refused by the [`RateLimiter`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("partner {partner:?} is over its private-lookup rate limit")]
pub struct RateLimited {
    /// The partner.
    pub partner: String,
    /// When the request would pass if retried (an HTTP `Retry-After`); `None` when it never
    /// will, because it costs more than the bucket holds.
    pub retry_after: Option<Duration>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: u32,
    /// When `tokens` was last brought up to date.
    updated: Duration,
}

/// Token buckets keyed by partner id, on an injectable [`Clock`]. Pure logic: the HTTP
/// endpoint holds it (behind a mutex) and calls [`RateLimiter::try_acquire`] with the
/// request's [`crate::BlindedRequest::evaluation_count`] before evaluating.
///
/// Integer arithmetic throughout: a bucket earns exactly one token per `refill_every`.
#[derive(Debug)]
pub struct RateLimiter<C: Clock = MonotonicClock> {
    limit: RateLimit,
    clock: C,
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter<MonotonicClock> {
    /// A limiter on the real clock.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, MonotonicClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    /// A limiter on `clock`.
    pub fn with_clock(limit: RateLimit, clock: C) -> Self {
        Self { limit, clock, buckets: HashMap::new() }
    }

    /// The limit.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes `cost` tokens from `partner`'s bucket, or refuses with the time until it would
    /// hold them.
    ///
    /// # Errors
    /// [`RateLimited`] when the bucket holds fewer than `cost` tokens; nothing is taken.
    pub fn try_acquire(&mut self, partner: &str, cost: u32) -> Result<(), RateLimited> {
        if self.limit.refill_every.is_zero() {
            return Ok(());
        }
        let now = self.clock.now();
        let limit = self.limit;
        let bucket = match self.buckets.get_mut(partner) {
            Some(bucket) => bucket,
            None => self
                .buckets
                .entry(partner.to_owned())
                .or_insert(Bucket { tokens: limit.burst, updated: now }),
        };
        refill(bucket, limit, now);
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            return Ok(());
        }
        let retry_after = (cost <= limit.burst).then(|| {
            let missing = cost - bucket.tokens;
            let earned_towards_next = now.saturating_sub(bucket.updated);
            (limit.refill_every * missing).saturating_sub(earned_towards_next)
        });
        Err(RateLimited { partner: partner.to_owned(), retry_after })
    }

    /// Tokens `partner` holds now (the burst for a partner never seen).
    pub fn available(&self, partner: &str) -> u32 {
        let mut bucket = match self.buckets.get(partner) {
            Some(bucket) => *bucket,
            None => return self.limit.burst,
        };
        refill(&mut bucket, self.limit, self.clock.now());
        bucket.tokens
    }

    /// Forgets partners whose bucket is full again (they would start full anyway), so the map
    /// holds only recently active partners. Returns how many were dropped.
    pub fn prune(&mut self) -> usize {
        let (limit, now) = (self.limit, self.clock.now());
        let before = self.buckets.len();
        self.buckets.retain(|_, bucket| {
            refill(bucket, limit, now);
            bucket.tokens < limit.burst
        });
        before - self.buckets.len()
    }
}

/// Adds the tokens earned since `bucket.updated`, keeping the fraction of a token already
/// earned.
fn refill(bucket: &mut Bucket, limit: RateLimit, now: Duration) {
    let elapsed = now.saturating_sub(bucket.updated);
    let earned = elapsed.as_nanos() / limit.refill_every.as_nanos().max(1);
    let room = limit.burst.saturating_sub(bucket.tokens);
    if earned >= u128::from(room) {
        bucket.tokens = limit.burst;
        bucket.updated = now;
    } else {
        // earned < room <= u32::MAX
        let earned = earned as u32;
        bucket.tokens += earned;
        bucket.updated += limit.refill_every * earned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_refill_keeps_the_fraction() {
        let clock = ManualClock::new();
        let limit = RateLimit { burst: 2, refill_every: Duration::from_secs(10) };
        let mut limiter = RateLimiter::with_clock(limit, clock.clone());
        limiter.try_acquire("p", 2).unwrap();
        clock.advance(Duration::from_secs(6));
        assert_eq!(
            limiter.try_acquire("p", 1).unwrap_err().retry_after,
            Some(Duration::from_secs(4))
        );
        clock.advance(Duration::from_secs(6)); // 12 s: one token, 2 s towards the next
        limiter.try_acquire("p", 1).unwrap();
        assert_eq!(
            limiter.try_acquire("p", 1).unwrap_err().retry_after,
            Some(Duration::from_secs(8))
        );
    }

    #[test]
    fn cost_above_burst_never_passes() {
        let mut limiter =
            RateLimiter::new(RateLimit { burst: 3, refill_every: Duration::from_secs(1) });
        assert_eq!(limiter.try_acquire("p", 4).unwrap_err().retry_after, None);
    }
}
