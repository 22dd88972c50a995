#include "screen/io/screen_service.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"
#include "screen/jpeg_encoder.hpp"
#include "screen/relay.hpp"

#include <unistd.h>

namespace redred::screen {
namespace {
auto logger() { return log::get("screen"); }
std::int64_t steady_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

ScreenService::ScreenService(net::any_io_executor executor, Metrics& metrics, state::ScreenState& state,
                             std::unique_ptr<ScreenSource> source, ScreenServiceOptions options)
    : executor_(std::move(executor)),
      metrics_(metrics),
      state_(state),
      source_(std::move(source)),
      options_(std::move(options)),
      hub_(std::make_shared<FrameHub>(metrics)),
      tick_timer_(executor_) {}

ScreenService::~ScreenService() {
    std::unique_ptr<CaptureLoop> capture;
    {
        std::lock_guard lock(mutex_);
        capture = std::move(capture_);
    }
}

std::string ScreenService::source_name() const { return source_ ? std::string(source_->name()) : "none"; }

bool ScreenService::capturing() const {
    std::lock_guard lock(mutex_);
    return capture_ != nullptr;
}

void ScreenService::run() {
    if (state_.shared()) {
        std::weak_ptr<ScreenService> weak = weak_from_this();
        state_.watch(
            [weak](std::string task_id, std::string capturer, std::uint64_t seq, std::string jpeg) {
                if (auto self = weak.lock())
                    self->on_relayed_frame(std::move(task_id), std::move(capturer), seq, std::move(jpeg));
            },
            [weak] {
                // Another instance started or stopped: look now rather than at the next tick.
                if (auto self = weak.lock()) self->tick_timer_.cancel();
            },
            [weak](bool up) {
                auto self = weak.lock();
                if (!self) return;
                if (!up) {
                    logger()->warn("[STREAM-FEED] redis link lost: ending local feeds");
                    std::string task = self->hub_->task_id();
                    if (!task.empty()) self->end_stream_locally(task, "redis unavailable");
                } else {
                    logger()->info("redis link up");
                    self->tick_timer_.cancel();
                }
            });
    }
    net::co_spawn(executor_, supervise(shared_from_this()), [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            logger()->error("screen supervisor crashed error={}", ex.what());
        }
    });
}

net::awaitable<void> ScreenService::supervise(std::shared_ptr<ScreenService> self) {
    for (;;) {
        {
            std::lock_guard lock(self->mutex_);
            if (self->stopping_) co_return;
        }
        co_await self->tick();
        self->tick_timer_.expires_after(std::chrono::milliseconds(self->options_.tick_ms));
        error_code ec;
        co_await self->tick_timer_.async_wait(net::redirect_error(use_awaitable, ec));
    }
}

net::awaitable<void> ScreenService::tick() {
    measure_viewer_rates();
    if (state_.shared()) {
        state_.announce({{"id", options_.instance_id},
                         {"host", options_.host},
                         {"port", options_.port},
                         {"pid", static_cast<long>(::getpid())},
                         {"screen_source", source_name()},
                         {"capturing", capturing()},
                         {"viewers", hub_->subscriber_count()}});
    }
    std::string capturing_task;
    {
        std::lock_guard lock(mutex_);
        if (capture_) capturing_task = capture_->task_id();
    }
    if (!capturing_task.empty()) {
        auto lease = co_await state_.renew(options_.instance_id, capturing_task);
        if (!lease) {
            // Redis unreachable: our lease will lapse; stop now rather than capture for nobody.
            logger()->warn("[STREAMING-TASK] cannot renew capture lease task_id={} error={}", capturing_task,
                           lease.error().message);
            end_stream_locally(capturing_task, "state unavailable");
            co_return;
        }
        if (*lease == state::LeaseOutcome::StopRequested) {
            logger()->info("[STREAMING-TASK] stop requested through redis task_id={}", capturing_task);
            end_stream_locally(capturing_task, "stop requested");
            state_.publish_change();
            co_return;
        }
        if (*lease == state::LeaseOutcome::Lost) {
            end_stream_locally(capturing_task, "stopped elsewhere");
            co_return;
        }
    }
    if (!state_.shared()) co_return;
    const std::string capturer = capturer_id();
    auto synced = co_await state_.sync(capturer);
    if (!synced) co_return;
    reconcile(synced->record, synced->claimed);
}

void ScreenService::reconcile(const StreamRecord& record, bool we_capture) {
    if (!record.active) {
        const std::string open_task = hub_->task_id();
        std::string capture_task;
        {
            std::lock_guard lock(mutex_);
            if (capture_) capture_task = capture_->task_id();
        }
        if (!capture_task.empty()) end_stream_locally(capture_task, "stream inactive");
        else if (!open_task.empty()) end_stream_locally(open_task, "stream inactive");
        return;
    }
    if (we_capture) {
        logger()->info("[STREAMING-TASK] capture claimed task_id={}", record.task_id);
        begin_capture(record);
        return;
    }
    // We may still capture an older stream that ended elsewhere while a newer one is live.
    std::string stale_capture;
    {
        std::lock_guard lock(mutex_);
        if (capture_ && capture_->task_id() != record.task_id) stale_capture = capture_->task_id();
    }
    if (!stale_capture.empty()) end_stream_locally(stale_capture, "superseded");
    if (hub_->open(record.task_id))
        logger()->info("[STREAM-FEED] relaying stream task_id={} from {}:{}", record.task_id, record.host, record.port);
}

void ScreenService::begin_capture(const StreamRecord& record) {
    if (!source_) return;
    std::unique_ptr<CaptureLoop> previous;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        if (capture_ && capture_->task_id() == record.task_id) return;
        previous = std::move(capture_);
        hub_->open(record.task_id);
        std::weak_ptr<ScreenService> weak = weak_from_this();
        const bool shared = state_.shared();
        CaptureSettings settings;
        settings.fps = record.fps;
        settings.quality = record.quality;
        settings.key_frame_interval = std::chrono::milliseconds(options_.key_frame_interval_ms);
        capture_ = std::make_unique<CaptureLoop>(
            *source_, metrics_, record.task_id, settings,
            [weak] {
                auto self = weak.lock();
                return self ? self->capture_demand() : CaptureDemand{};
            },
            [weak, shared](FramePtr frame) {
                auto self = weak.lock();
                if (!self) return;
                self->hub_->publish(frame);
                if (shared && frame->has_picture()) {
                    self->last_relay_ms_ = steady_ms_now();
                    self->state_.publish_frame(self->options_.instance_id, frame->task_id, frame->seq,
                                               encode_relayed_change(*frame));
                }
            });
    }
    // `previous` (another task's loop) joins here, outside the lock.
}

void ScreenService::end_stream_locally(const std::string& task_id, const char* reason) {
    std::unique_ptr<CaptureLoop> ended;
    {
        std::lock_guard lock(mutex_);
        if (capture_ && capture_->task_id() == task_id) ended = std::move(capture_);
    }
    if (ended) ended->stop();  // joins the capture thread: at most one frame's work
    if (hub_->task_id() == task_id) {
        logger()->info("[STREAM-FEED] stream inactive, closing feeds task_id={} reason={} viewers={}", task_id, reason,
                       hub_->subscriber_count());
        hub_->close();
    }
}

CaptureDemand ScreenService::capture_demand() {
    CaptureDemand demand = hub_->demand();
    if (state_.shared()) {
        // The other instances' viewers: whole pictures for their full-frame feeds, tiles for their tile mode.
        demand.pictures = true;
        demand.tiles = true;
        if (steady_ms_now() - last_relay_ms_.load() >= options_.relay_refresh_ms) demand.key = true;
    }
    return demand;
}

void ScreenService::on_relayed_frame(std::string task_id, std::string capturer, std::uint64_t seq, std::string body) {
    if (capturer == options_.instance_id) return;  // our own frames, already in the hub
    if (hub_->task_id() != task_id) return;
    auto change = decode_relayed_change(body);
    if (!change || change->jpeg.empty()) return;
    FrameContent content;
    if (!read_jpeg_size(change->jpeg, content.width, content.height)) return;
    bool continuous;
    {
        std::lock_guard lock(mutex_);
        // The same state again (the capturer's refresh of a still screen): viewers that have it skip it.
        const bool repeated = seq != 0 && seq == relayed_from_seq_ && relay_seq_ != 0;
        // Deltas apply only on top of the previous state; after a gap (a relay message skipped while Redis was
        // slow, or this instance joining late) the whole picture is the change.
        continuous = seq != 0 && seq == relayed_from_seq_ + 1 && relay_seq_ != 0;
        content.changed = !repeated && change->changed;
        if (!repeated) ++relay_seq_;
        relayed_from_seq_ = seq;
        content.seq = relay_seq_;
    }
    metrics_.frames_relayed.add();
    content.task_id = std::move(task_id);
    content.key = change->key || !continuous || change->tiles.empty();
    if (!content.key)
        for (const auto& tile : change->tiles) content.tiles.push_back(make_tile(tile.rect, content.seq, tile.jpeg));
    content.captured_at_ms = change->captured_at_ms != 0 ? change->captured_at_ms : unix_ms_now();
    content.jpeg = std::move(change->jpeg);
    hub_->publish(make_frame(std::move(content)));
}

void ScreenService::measure_viewer_rates() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - rates_at_).count();
    if (rates_at_ != std::chrono::steady_clock::time_point{} && seconds >= 1.0) {
        for (int t = 0; t < kFeedTransports; ++t) {
            const std::uint64_t bytes = metrics_.bytes_sent[t].get();
            const std::int64_t viewers = metrics_.feed_viewers[t].get();
            const double rate = viewers > 0 ? static_cast<double>(bytes - rates_bytes_[t]) / seconds / viewers : 0;
            metrics_.viewer_bytes_per_second[t].value = static_cast<std::int64_t>(rate);
        }
    }
    if (seconds >= 1.0 || rates_at_ == std::chrono::steady_clock::time_point{}) {
        rates_at_ = now;
        for (int t = 0; t < kFeedTransports; ++t) rates_bytes_[t] = metrics_.bytes_sent[t].get();
    }
}

net::awaitable<Result<StreamRecord>> ScreenService::start_stream(StartRequest request) {
    auto log = logger();
    log->info("[STREAM-API] POST /stream/start received fps={} quality={}", request.fps, request.quality);
    StreamRecord wanted;
    wanted.task_id = random_uuid();
    wanted.host = options_.host;
    wanted.port = options_.port;
    wanted.fps = request.fps;
    wanted.quality = request.quality;
    const std::string capturer = capturer_id();  // named: no class temporaries inside co_await (GCC 12)
    auto started = co_await state_.start(wanted, capturer);
    if (!started) {
        log->info("[STREAM-API] start refused error={}", started.error().message);
        co_return started;
    }
    log->info("[STREAM-API] streaming task started task_id={}", started->task_id);
    if (source_) begin_capture(*started);
    else hub_->open(started->task_id);
    state_.publish_change();
    co_return started;
}

net::awaitable<Result<StreamRecord>> ScreenService::stop_stream() {
    auto log = logger();
    log->info("[STREAM-API] POST /stream/stop received");
    auto stopped = co_await state_.stop();
    if (!stopped) {
        log->info("[STREAM-API] stop refused error={}", stopped.error().message);
        co_return stopped;
    }
    log->info("[STREAM-API] stop signal sent task_id={}", stopped->task_id);
    end_stream_locally(stopped->task_id, "stopped by API");
    state_.publish_change();
    co_return stopped;
}

net::awaitable<Result<StreamRecord>> ScreenService::status() {
    const std::string nobody;
    auto synced = co_await state_.sync(nobody);
    if (!synced) co_return synced.error();
    co_return synced->record;
}

net::awaitable<std::shared_ptr<FeedSubscription>> ScreenService::subscribe(net::any_io_executor strand,
                                                                            FeedTransport transport) {
    if (auto sub = hub_->subscribe(strand, transport)) co_return sub;
    if (!state_.shared()) co_return nullptr;
    // Another instance may have started a stream we have not heard of yet: ask the shared state, like the seed.
    const std::string capturer = capturer_id();
    auto synced = co_await state_.sync(capturer);
    if (!synced || !synced->record.active) co_return nullptr;
    reconcile(synced->record, synced->claimed);
    co_return hub_->subscribe(strand, transport);
}

net::awaitable<void> ScreenService::shutdown() {
    std::string task;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (capture_) task = capture_->task_id();
    }
    tick_timer_.cancel();
    if (!task.empty()) {
        auto released = co_await state_.release(options_.instance_id, task);
        if (released && *released) state_.publish_change();
        logger()->info("[STREAMING-TASK] shutdown: stream ended task_id={}", task);
        end_stream_locally(task, "server shutdown");
    }
    hub_->close();
}

}  // namespace redred::screen
