// A request waiting for its answer on a client's strand (Redis, Janus): completed exactly once — by the
// answer, the loss of the link, stop() or its deadline, whichever comes first. `complete` posts the value to
// the caller's executor.
#pragma once
#include <functional>
#include <optional>

#include "core/net.hpp"

namespace redred {

template <class Value>
struct PendingCall {
    std::function<void(Value)> complete;
    std::optional<net::steady_timer> deadline;  // on the client's strand
    bool done = false;

    void finish(Value value) {
        if (done) return;
        done = true;
        if (deadline) deadline->cancel();
        auto complete_now = std::move(complete);
        complete = nullptr;
        complete_now(std::move(value));
    }
};

}  // namespace redred
