// One webhook POST over HTTP/1.1 (Beast), a new connection each time, bounded by a timeout for the whole
// exchange. Runs on the caller's executor.
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/net.hpp"
#include "webhooks/url.hpp"

namespace redred::webhooks {

struct PostOutcome {
    int status = 0;        // the receiver's HTTP status; 0 when there was none (connect, timeout, bad reply)
    std::string error;     // why, when status is 0
    bool delivered() const { return status >= 200 && status < 300; }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

net::awaitable<PostOutcome> post_json(WebhookUrl url, std::string body, Headers headers,
                                      std::chrono::milliseconds timeout);

}  // namespace redred::webhooks
