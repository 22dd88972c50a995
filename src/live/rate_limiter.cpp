#include "live/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace redred::live {
namespace {

// Tolerates floating-point drift, so waiting exactly retry_after() is always enough.
constexpr double kEpsilon = 1e-9;
constexpr std::size_t kMinSweepSize = 64;

}  // namespace

RateLimiter::RateLimiter(int burst, double per_second)
    : burst_(burst), per_second_(per_second), sweep_at_size_(kMinSweepSize) {
    if (burst < 1) throw std::invalid_argument("RateLimiter burst must be at least 1");
    if (!(per_second > 0)) throw std::invalid_argument("RateLimiter per_second must be positive");
}

double RateLimiter::tokens_at(const Bucket& bucket, TimePoint now) const {
    // A clock stepping back refills nothing rather than taking tokens away.
    const double elapsed = std::max(0.0, std::chrono::duration<double>(now - bucket.updated).count());
    return std::min(static_cast<double>(burst_), bucket.tokens + elapsed * per_second_);
}

bool RateLimiter::try_take(std::int64_t key, TimePoint now) {
    if (buckets_.size() >= sweep_at_size_) {
        prune(now);
        sweep_at_size_ = std::max(kMinSweepSize, buckets_.size() * 2);
    }
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(burst_), now});
    Bucket& bucket = it->second;
    bucket.tokens = tokens_at(bucket, now);
    bucket.updated = std::max(bucket.updated, now);
    if (bucket.tokens + kEpsilon < 1.0) return false;
    bucket.tokens = std::max(0.0, bucket.tokens - 1.0);
    return true;
}

std::chrono::milliseconds RateLimiter::retry_after(std::int64_t key, TimePoint now) const {
    const auto it = buckets_.find(key);
    if (it == buckets_.end()) return std::chrono::milliseconds(0);
    const double missing = 1.0 - tokens_at(it->second, now);
    if (missing <= kEpsilon) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(missing / per_second_ * 1000.0 - kEpsilon)));
}

void RateLimiter::prune(TimePoint now) {
    std::erase_if(buckets_, [&](const auto& entry) { return tokens_at(entry.second, now) + kEpsilon >= burst_; });
}

}  // namespace redred::live
