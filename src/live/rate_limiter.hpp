// A token bucket per key (a user id): `burst` actions at once, refilled at `per_second`. Deterministic:
// time only comes from `now`. Not thread-safe; owned by one stream hub and used on its strand.
// Memory stays bounded: a bucket that has refilled completely is indistinguishable from a new one, so it is
// forgotten by prune(now), which try_take also runs whenever the map has doubled since the last sweep.
#pragma once
#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "live/types.hpp"

namespace redred::live {

class RateLimiter {
public:
    // burst >= 1 and per_second > 0, else std::invalid_argument (a configuration bug).
    RateLimiter(int burst, double per_second);

    // Takes one token if there is one. false → answer RateLimited with retry_after().
    bool try_take(std::int64_t key, TimePoint now);
    // How long until try_take(key) would succeed; 0 if it would now. Rounded up to whole milliseconds.
    std::chrono::milliseconds retry_after(std::int64_t key, TimePoint now) const;
    // Forgets every bucket that is full again at `now`.
    void prune(TimePoint now);
    std::size_t tracked_keys() const { return buckets_.size(); }

private:
    struct Bucket {
        double tokens;
        TimePoint updated;
    };
    double tokens_at(const Bucket& bucket, TimePoint now) const;

    int burst_;
    double per_second_;
    std::unordered_map<std::int64_t, Bucket> buckets_;
    std::size_t sweep_at_size_;
};

}  // namespace redred::live
