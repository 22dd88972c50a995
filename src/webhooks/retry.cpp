#include "webhooks/retry.hpp"

#include <algorithm>

namespace redred::webhooks {

std::chrono::milliseconds retry_delay(int attempts, const RetryPolicy& policy, double jitter) {
    const long long first = std::max<long long>(policy.first.count(), 1);
    const long long cap = std::max<long long>(policy.max.count(), first);
    long long base = first;
    for (int i = 1; i < attempts && base < cap; ++i) base *= 2;  // bounded: stops at the cap (no overflow)
    base = std::min(base, cap);
    jitter = std::clamp(jitter, 0.0, 1.0);
    const long long half = base / 2;
    return std::chrono::milliseconds(half + static_cast<long long>(static_cast<double>(base - half) * jitter));
}

}  // namespace redred::webhooks
