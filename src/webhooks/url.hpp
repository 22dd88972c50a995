// A webhook receiver's URL: http://host[:port][/path][?query] or https://... (certificate checked against the
// system store, see docs/WEBHOOKS.md). Pure.
#pragma once
#include <string>

#include "core/result.hpp"

namespace redred::webhooks {

struct WebhookUrl {
    bool tls = false;      // https://
    std::string host;      // without brackets for IPv6
    std::string port;      // "80" / "443" unless given
    std::string target;    // path and query, "/" at least
    std::string host_header() const;  // host[:port] as the Host header wants it
};

// BadInput with a message naming what is wrong.
Result<WebhookUrl> parse_webhook_url(const std::string& url);

}  // namespace redred::webhooks
