#include "screen/capture_loop.hpp"

#include "core/log.hpp"
#include "screen/jpeg_encoder.hpp"

namespace redred::screen {

using Clock = std::chrono::steady_clock;

namespace {

ImageView crop(const ImageView& image, Rect r) {
    return ImageView{image.data + static_cast<std::ptrdiff_t>(r.y) * image.stride_bytes + static_cast<std::ptrdiff_t>(r.x) * 4,
                     r.w, r.h, image.stride_bytes};
}

}  // namespace

CaptureLoop::CaptureLoop(ScreenSource& source, Metrics& metrics, std::string task_id, CaptureSettings settings,
                         DemandSource demand, FrameSink sink)
    : source_(source),
      metrics_(metrics),
      task_id_(std::move(task_id)),
      settings_(settings),
      demand_(std::move(demand)),
      sink_(std::move(sink)),
      thread_([this] { run(); }) {}

CaptureLoop::~CaptureLoop() { stop(); }

void CaptureLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CaptureLoop::run() {
    auto log = log::get("screen");
    log->info("[STREAMING-TASK] capture started task_id={} source={} size={}x{} fps={} quality={}", task_id_,
              source_.name(), source_.width(), source_.height(), settings_.fps, settings_.quality);
    JpegEncoder encoder;
    const auto period = std::chrono::nanoseconds(1'000'000'000LL / settings_.fps);
    auto next_tick = Clock::now();
    auto last_key = Clock::time_point{};
    std::uint64_t seq = 0;
    int width = 0;
    int height = 0;
    std::unique_ptr<TileGrid> grid;
    int consecutive_errors = 0;
    const auto failed = [&](const char* what, const Error& error) {
        metrics_.capture_errors.add();
        if (consecutive_errors++ % 50 == 0) log->warn("{} failed task_id={} error={}", what, task_id_, error.message);
    };

    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_until(lock, next_tick, [this] { return stopping_; })) break;
        }
        next_tick += period;
        if (const auto now = Clock::now(); next_tick < now) next_tick = now + period - (now - next_tick) % period;

        const auto started = Clock::now();
        auto capture = source_.grab(std::chrono::system_clock::now());
        const auto grabbed = Clock::now();
        if (!capture) {
            failed("capture", capture.error());
            continue;
        }
        metrics_.capture_microseconds.add(std::chrono::duration_cast<std::chrono::microseconds>(grabbed - started).count());
        const CaptureDemand demand = demand_();
        const ImageView& image = capture->image;
        const bool changed = !capture->changed.empty();
        if (!changed && !demand.key) {
            metrics_.frames_unchanged.add();
            continue;
        }
        metrics_.frames_captured.add();

        FrameContent content;
        content.task_id = task_id_;
        content.width = image.width;
        content.height = image.height;
        content.captured_at_ms = unix_ms_now();
        content.changed = changed;
        std::vector<Rect> rects;
        if (changed) {
            ++seq;
            const bool resized = image.width != width || image.height != height;
            if (resized) {
                width = image.width;
                height = image.height;
                grid = std::make_unique<TileGrid>(width, height);
            }
            rects = grid->cover(capture->changed);
            long long area = 0;
            for (const Rect& r : rects) area += r.area();
            const bool key_due = demand.tiles && grabbed - last_key >= settings_.key_frame_interval;
            content.key = resized || key_due ||
                          static_cast<double>(area) >= settings_.key_frame_area * static_cast<double>(width) * height;
        } else {
            content.key = true;  // asked for: the whole current picture
        }
        content.seq = seq;

        if (!content.key && demand.tiles) {
            for (const Rect& r : rects) {
                auto jpeg = encoder.encode(crop(image, r), settings_.quality);
                if (!jpeg) {
                    failed("tile encode", jpeg.error());
                    content.tiles.clear();
                    break;
                }
                content.tiles.push_back(make_tile(r, seq, *jpeg));
            }
            metrics_.tiles_encoded.add(content.tiles.size());
        }
        if (content.key || demand.pictures || demand.key) {
            auto jpeg = encoder.encode(image, settings_.quality);
            if (!jpeg) {
                failed("encode", jpeg.error());
                if (content.key) continue;
            } else {
                metrics_.frames_encoded.add();
                metrics_.encoded_bytes.add(jpeg->size());
                content.jpeg = std::move(*jpeg);
                if (content.key) last_key = grabbed;
            }
        }
        consecutive_errors = 0;
        metrics_.encode_microseconds.add(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - grabbed).count());
        sink_(make_frame(std::move(content)));
    }
    log->info("[STREAMING-TASK] capture stopped task_id={} changes={}", task_id_, seq);
}

}  // namespace redred::screen
