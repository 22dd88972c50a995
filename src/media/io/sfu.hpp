// The media server as the rooms see it: the Janus connection plus what every stream shares — creating and
// destroying one VideoRoom per live stream (with a secret only redred knows) and RTP forwarders for WHEP.
// One per process, built by App when --media janus. Thread-safe: the rooms call it from their strands.
#pragma once
#include <memory>
#include <mutex>
#include <string>

#include "core/net.hpp"
#include "core/result.hpp"
#include "media/io/janus_client.hpp"

namespace redred::media {

struct SfuOptions {
    std::string admin_key;   // the VideoRoom plugin's admin_key (also required for rtp_forward when locked)
    int publisher_bitrate = 3'000'000;  // REMB cap for a publisher, all layers together
    int fir_freq = 0;        // periodic keyframe requests to publishers, seconds (0: only when asked)
};

struct SfuRoom {
    std::uint64_t id = 0;
    std::string secret;
    std::uint64_t generation = 0;  // the Janus session it was made in
};

class Sfu {
public:
    Sfu(std::shared_ptr<JanusClient> janus, SfuOptions options);

    JanusClient& janus() { return *janus_; }
    const std::shared_ptr<JanusClient>& janus_ptr() const { return janus_; }
    bool up() const { return janus_->up(); }

    // Makes the VideoRoom of a stream (room id = stream id). A room left over from an earlier run of redred
    // (Janus kept running) is destroyed and made again; if that fails, a fresh random id is used.
    net::awaitable<Result<SfuRoom>> create_room(std::uint64_t stream_id, std::string description);
    void destroy_room(SfuRoom room);  // fire and forget

    // A plugin request that needs no handle of its own (create, destroy, rtp_forward...): sent on a control
    // handle attached once per Janus session.
    net::awaitable<Result<janus::Incoming>> control(Json body);

    const SfuOptions& options() const { return options_; }

private:
    net::awaitable<Result<JanusClient::Handle>> control_handle();
    std::string room_secret(std::uint64_t room) const;

    std::shared_ptr<JanusClient> janus_;
    const SfuOptions options_;
    const std::string secret_key_;  // admin_key, or random per process when Janus has none
    std::mutex mutex_;
    JanusClient::Handle control_;   // guarded by mutex_
};

}  // namespace redred::media
