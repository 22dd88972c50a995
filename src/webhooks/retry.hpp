// When a failed webhook delivery is tried again: exponential backoff with jitter, capped.
#pragma once
#include <chrono>

namespace redred::webhooks {

struct RetryPolicy {
    std::chrono::milliseconds first{1000};    // the base delay after the first failure
    std::chrono::milliseconds max{300000};    // no base delay grows beyond this (5 min)
};

// The delay after `attempts` failed attempts (1 = the first failure): base = first * 2^(attempts-1), capped at
// max; the delay is drawn in [base/2, base] by `jitter` in [0, 1) ("equal jitter": receivers that come back see
// their senders spread out, and no delay is shorter than half the base).
std::chrono::milliseconds retry_delay(int attempts, const RetryPolicy& policy, double jitter);

}  // namespace redred::webhooks
